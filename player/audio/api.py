"""The audio edge: one sound device with three decks, as the output shell drives it.

`AudioOutput` is one sound device with three decks ("A", "B", "C"). It only loads,
plays, pauses, stops and sets each deck's *total* gain in dB (already capped).
`VlcOutput` is the real one (libVLC, one MediaPlayer per deck), `FakeOutput` simulates
it on an injectable clock; both pass the same contract tests. Its events (playing,
ended, error, device lost) arrive through ``on_event`` on *any* thread: the receiver
only enqueues. Three decks, because with short tracks a deck may have to pre-roll while
the two decks of the previous crossfade are still sounding.

Only the engine's `Mixer` (player/engine/loop.py) calls it, from the session engine's
thread; the values it speaks in (`DeckName`, `OutputEvent`) are in player/core/media.py.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from pathlib import Path

from player.core.media import DeckName, OutputEvent


class AudioOutput(abc.ABC):
    """One sound device with three decks. Not thread-safe: call from the engine thread only.

    Gains are total gains in dB relative to unity (VLC 100%), ``None`` meaning muted; the
    caller (the Mixer) has already applied the cap, and implementations clamp to unity
    again as a last line of defence.
    """

    @abc.abstractmethod
    def open(self, on_event: Callable[[OutputEvent], None]) -> None:
        """Connect to the device. `on_event` may be called from any thread, must only enqueue."""

    @abc.abstractmethod
    def load(self, deck: DeckName, path: Path, start_s: float = 0.0) -> int:
        """Load `path` muted on `deck` (stopping what it played); returns a load token."""

    @abc.abstractmethod
    def play(self, deck: DeckName) -> None:
        """Start the loaded media (still at whatever gain was set; load mutes)."""

    @abc.abstractmethod
    def pause(self, deck: DeckName) -> None:
        """Hold the deck where it is (callers fade to silence first); `play` continues it."""

    @abc.abstractmethod
    def stop(self, deck: DeckName) -> None:
        """Stop the deck immediately (callers fade to silence first)."""

    @abc.abstractmethod
    def set_gain_db(self, deck: DeckName, gain_db: float | None) -> None:
        """Set the deck's total gain; None mutes."""

    @abc.abstractmethod
    def position_s(self, deck: DeckName) -> float | None:
        """Playback position in seconds, None when nothing plays."""

    @abc.abstractmethod
    def duration_s(self, deck: DeckName) -> float | None:
        """Length of the loaded media, None when unknown."""

    @abc.abstractmethod
    def volume_percent(self, deck: DeckName) -> int:
        """The volume the device applies to the deck now (VLC percent, 0 = muted)."""

    @abc.abstractmethod
    def device_ok(self) -> bool:
        """Whether the sound device can be opened now (cheap probe; called every few seconds)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop everything and release the device; safe to call twice."""
