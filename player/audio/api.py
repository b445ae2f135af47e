"""The audio edge: what the session engine may ask of the sound, and what it hears back.

Two layers:

* `AudioOutput` is one sound device with two decks ("A", "B"). It only loads, plays,
  stops and sets each deck's *total* gain in dB (already capped). `VlcOutput` is the real
  one (libVLC, two MediaPlayers), `FakeOutput` simulates it on an injectable clock. Both
  pass the same contract tests. Its events (track playing, ended, failed, device lost)
  arrive through the ``on_event`` callback on *any* thread: the receiver only enqueues.

* `Mixer` (player/audio/mixer.py) is driven from the session engine's thread only: it owns
  the decks, fades (dB-linear), equal-power crossfades, master volume, the hard cap and
  loudness normalization, and turns output events into `MixerEvent`s.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DeckName = Literal["A", "B"]
DECKS: tuple[DeckName, DeckName] = ("A", "B")

OutputEventKind = Literal["playing", "ended", "error", "device_lost", "device_back"]


@dataclass(frozen=True)
class OutputEvent:
    """Something the output reports; `token` identifies the load it belongs to."""

    kind: OutputEventKind
    deck: DeckName | None = None
    token: int = 0
    detail: str = ""


class AudioOutput(abc.ABC):
    """One sound device with two decks. Not thread-safe: call from the engine thread only.

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


MixerEventKind = Literal[
    "track_started",      # the track is audible (fade or crossfade begun)
    "track_ended",        # the track finished (or was faded out and stopped)
    "track_failed",       # could not open/decode/stalled; skipped
    "fade_finished",      # a pause/stop/emergency fade reached its end
    "device_lost",
    "device_restored",
    "needs_track",        # the mixer wants the next track (call queue_next)
]


@dataclass(frozen=True)
class MixerEvent:
    kind: MixerEventKind
    path: Path | None = None
    detail: dict = field(default_factory=dict)
