"""The pure core: the session's state machine, its vocabulary, controls and effects, and the pure
parts it uses (phase clock, track cursor, checkpoints, calmer music, the resume format). No I/O,
no threads, no clock reads: see docs/design.md."""
