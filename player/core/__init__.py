"""The pure core: session and mix rules as data in, decisions out; no I/O, no threads, no clock reads."""
