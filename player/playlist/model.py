"""The playlist as data: what the validator produces and the planner and session engine read.

Pure values, no I/O. Durations in seconds, gains in dB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

KNOWN_PHASES = ("settling", "onset", "build", "peak", "comedown", "recovery")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a playlist, printed as ``FILE:LINE: error|warning: message``."""

    file: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Track:
    """One audio file as a phase plays it.

    Attributes:
        path: absolute path of the audio file.
        gain_db: per-track trim from the playlist (``gain: -2dB``), not normalization.
        duration_s: length probed from the file (None when not probed).
        sample_rate: Hz, when probed.
        line: line in the playlist that named it.
        tag_title: the file's title tag, when probed and it has one.
    """

    path: Path
    gain_db: float = 0.0
    duration_s: float | None = None
    sample_rate: int | None = None
    line: int = 0
    tag_title: str | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        return self.path.name

    @property
    def shown_title(self) -> str:
        """What staff see on the page and in `status`: the title tag, else the file name without its suffix."""
        return self.tag_title or self.path.stem


@dataclass(frozen=True)
class Phase:
    """A stretch of the session with its own music, ending on the clock.

    Attributes:
        crossfade_s: crossfade between tracks in this phase and into the next phase.
        on_short: what to do when the tracks run out before the phase ends.
        finish_track: at the phase end, let the current track finish instead of crossfading.
        calmer: the phase's own calmer music (`session-player calmer`); empty: the playlist's.
    """

    name: str
    duration_s: float
    tracks: tuple[Track, ...]
    crossfade_s: float
    fade_in_s: float | None = None
    fade_out_s: float | None = None
    on_short: Literal["loop", "silence"] = "loop"
    finish_track: bool = False
    line: int = 0
    calmer: tuple[Track, ...] = ()
    until_after_end_s: float | None = None   # ``until: infusion_end + 60m`` (player/core/anchored_phase.py)


@dataclass(frozen=True)
class Checkpoint:
    """Something staff must do at a time from the session start (``checkpoints:``), never heard.

    Attributes:
        at_s: session time it becomes due (seconds from the start, pauses included).
        text: what to do, as the playlist says it (e.g. "BP and sedation score").
        line: the playlist line that named it (a ``repeat:`` entry gives several).
        after: the event it counts from (``infusion_start``, ``infusion_end``): `at_s` is then
            seconds after that event; None: from the session start.
        stop: the event that ends its repeats (``until: infusion_end``): a time after it is never due.
        every_s: the ``repeat:`` it came from (for `plan`), None when it does not repeat.
        nth: which repeat it is (0: the first).
    """

    at_s: float
    text: str
    line: int = 0
    after: str | None = None
    stop: str | None = None
    every_s: float | None = None
    nth: int = 0


@dataclass(frozen=True)
class Playlist:
    """A validated session plan (`calmer`: calmer music for every phase without its own)."""

    name: str
    path: Path
    crossfade_s: float
    phases: tuple[Phase, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)
    checkpoints: tuple[Checkpoint, ...] = ()
    calmer: tuple[Track, ...] = ()

    @property
    def all_tracks(self) -> list[Track]:
        """Every track it may play: the phases' in play order, then the calmer music (phases', the playlist's)."""
        return ([t for p in self.phases for t in p.tracks] + [t for p in self.phases for t in p.calmer]
                + list(self.calmer))

    def calmer_for(self, index: int) -> tuple[Track, ...]:
        """The calmer music of phase `index`: its own, else the playlist's (may be none)."""
        return self.phases[index].calmer or self.calmer

    @property
    def total_s(self) -> float:
        return sum(p.duration_s for p in self.phases)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")
