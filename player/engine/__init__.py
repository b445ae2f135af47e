"""The engine shell: the one thread that owns a session, performs what the core decides, and
keeps the records and the resume state durable. See docs/design.md."""
