"""The audio edge: what the session engine may ask of the sound, and what it hears back.

Two layers:

* `AudioOutput` is one sound device with three decks ("A", "B", "C"). It only loads,
  plays, pauses, stops and sets each deck's *total* gain in dB (already capped).
  `VlcOutput` is the real one (libVLC, one MediaPlayer per deck), `FakeOutput` simulates
  it on an injectable clock; both pass the same contract tests. Its events (playing,
  ended, error, device lost) arrive through ``on_event`` on *any* thread: the receiver
  only enqueues. Three decks, because with short tracks a deck may have to pre-roll while
  the two decks of the previous crossfade are still sounding.

* `Mixer` (player/audio/mixer.py) is driven from the session engine's thread only. It
  plays `Source`s (a file, its trim, where to start, and a token the engine chose), never
  playlist objects: the audio package knows nothing of playlists.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DeckName = Literal["A", "B", "C"]
DECKS: tuple[DeckName, ...] = ("A", "B", "C")

OutputEventKind = Literal["playing", "ended", "error", "device_lost", "device_back"]


@dataclass(frozen=True)
class Source:
    """One thing to play, as the engine hands it to the mixer.

    Attributes:
        path: the audio file.
        token: the engine's name for this one play of the file (a file may be queued twice;
            mixer events carry the source back, so the engine matches tokens, not paths).
        trim_db: the playlist's per-track trim (not normalization).
        duration_s: length if known (probed); else the output's own figure is used.
        start_s: where to start (a resume after a restart).
    """

    path: Path
    token: int = 0
    trim_db: float = 0.0
    duration_s: float | None = None
    start_s: float = 0.0

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class OutputEvent:
    """Something the output reports; `token` identifies the load it belongs to."""

    kind: OutputEventKind
    deck: DeckName | None = None
    token: int = 0
    detail: str = ""


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


MixerEventKind = Literal[
    "track_started",      # the source is audible (its fade or crossfade began)
    "track_ended",        # an audible source finished (played out, or faded out and stopped)
    "track_failed",       # could not open/decode, stalled, vanished: skipped (detail: reason)
    "fade_finished",      # a pause/stop/emergency fade reached its end (detail: kind)
    "device_lost",
    "device_restored",
    "needs_track",        # the mixer wants what follows `source` (answer with queue_next)
]


@dataclass(frozen=True)
class MixerEvent:
    kind: MixerEventKind
    source: Source | None = None
    detail: dict = field(default_factory=dict)

    @property
    def path(self) -> Path | None:
        return None if self.source is None else self.source.path

    @property
    def token(self) -> int | None:
        return None if self.source is None else self.source.token
