"""session-player: plays a treatment session's music by phases, quietly and safely."""

__version__ = "0.1.0"
