"""What the mix plays and what it reports: plain values shared by the core, the engine and the output.

`Source` is one thing to play (a file, its trim, where to start, and a token the engine
chose), never a playlist object: the mix knows nothing of playlists. `OutputEvent` is what a
sound device reports (on any thread; the receiver only enqueues), `MixerEvent` what the mix
tells the session. Pure values: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from player.core.level_model import TrackLevel

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


#: A provisional gain is used only once this much audio was analysed (or the whole file).
PROVISIONAL_MIN_S = 20.0


@dataclass(frozen=True)
class GainResult:
    """What is known of one file's loudness.

    Attributes:
        level: its figures (None: nothing usable yet; see `player.core.level_model`).
        final: the whole file was measured (or tags/cache gave it).
        analysed_s: seconds of audio behind a provisional figure.
        error: why it could not be measured (the mixer then plays it at the cautious default).
        unnormalized: no measurer: the file plays at its mastered level.
    """

    level: TrackLevel | None = None
    final: bool = False
    analysed_s: float = 0.0
    error: str = ""
    unnormalized: bool = False

    @property
    def usable(self) -> bool:
        return self.final or bool(self.error) or (self.level is not None and self.analysed_s >= PROVISIONAL_MIN_S)
