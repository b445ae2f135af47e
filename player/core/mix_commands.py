"""What the mix is told, what it asks of the output, and what it reads: typed values, no I/O.

The engine's `Mixer` (player/engine/loop.py) turns each of the engine's calls into one of the
*inputs* below and steps the `MixMachine` (player/core/mix.py) with it; the machine answers
with *output commands*, which the shell performs on the AudioOutput and the analyzer, one
method per class. What the machine must read while it decides (a deck's position, a file's
length, a loudness figure, the device probe) it asks of `Readings`, which the shell answers;
reading lazily keeps libVLC calls to the ones the decision needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from player.core.level_model import TrackLevel
from player.core.media import DeckName, GainResult, Source

# --- inputs: the engine's commands, the clock, the output's answers ------------------------


@dataclass(frozen=True)
class Play:
    """Start `source` from silence, the mix fading in over `fade_s` (crossfades if music is heard).

    `after_restart`: the session is taken up after a restart; the patient has heard silence
    since, so the entering deck pre-rolls `URGENT_SETTLE_S`, not `PREROLL_S` (mix.py).
    """

    source: Source
    fade_s: float
    after_restart: bool = False


@dataclass(frozen=True)
class CrossfadeTo:
    """Equal-power crossfade into `source` now (after its pre-roll)."""

    source: Source
    fade_s: float


@dataclass(frozen=True)
class QueueNext:
    """What follows the current source (None: fade to silence at its end)."""

    source: Source | None
    crossfade_s: float


@dataclass(frozen=True)
class PlaySession:
    """The session's tracks, in play order: measured ahead, and the session's reference keeps them even."""

    paths: tuple[Path, ...]


@dataclass(frozen=True)
class Pause:
    fade_s: float


@dataclass(frozen=True)
class Resume:
    fade_s: float


@dataclass(frozen=True)
class Stop:
    fade_s: float


@dataclass(frozen=True)
class EmergencyStop:
    fade_s: float


@dataclass(frozen=True)
class BeginLevel:
    """A session starts (or resumes after a restart): start low, rise to `target_db` after the start fade."""

    target_db: float | None = None


@dataclass(frozen=True)
class SetMaster:
    level_db: float


@dataclass(frozen=True)
class StepMaster:
    delta_db: float


@dataclass(frozen=True)
class Tick:
    """Time passed: ramps, pre-rolls, schedules, stall and device checks."""


@dataclass(frozen=True)
class Opened:
    """The output is open (the machine probes the device at once)."""


@dataclass(frozen=True)
class Closed:
    """The output was closed: nothing plays any more."""


@dataclass(frozen=True)
class LoadRefused:
    """The output could not load the deck `load` asked for (no such file, libVLC error)."""

    slot: DeckName
    token: int
    reason: str


# --- output commands: what the shell performs -----------------------------------------------


@dataclass(frozen=True)
class LoadDeck:
    """Load `source` on `slot` muted and start it (the pre-roll); `token` names this load in the mix."""

    slot: DeckName
    source: Source
    token: int


@dataclass(frozen=True)
class PlayDeck:
    """Go on playing a held deck (a resume)."""

    slot: DeckName


@dataclass(frozen=True)
class PauseDeck:
    """Hold a deck where it is (it was faded to silence)."""

    slot: DeckName


@dataclass(frozen=True)
class ReleaseDeck:
    """Mute and stop a deck now (it was faded first, or never heard) and free its slot."""

    slot: DeckName


@dataclass(frozen=True)
class SetGain:
    """The deck's digital gain in dB, already bounded by the level model (None: muted)."""

    slot: DeckName
    gain_db: float | None


@dataclass(frozen=True)
class Measure:
    """Have the loudness of `path` measured (lower priority = sooner)."""

    path: Path
    priority: int


OutputCommand = LoadDeck | PlayDeck | PauseDeck | ReleaseDeck | SetGain | Measure


class Readings(Protocol):
    """What the mix reads while it decides; the shell answers from the output and the analyzer."""

    def position_s(self, slot: DeckName) -> float | None:
        """The output's playback position of the deck on `slot`."""

    def duration_s(self, slot: DeckName) -> float | None:
        """The output's length of the media on `slot`."""

    def loudness(self, path: Path) -> GainResult:
        """What is known of the file's loudness."""

    def levels_revision(self) -> int:
        """A count that moves whenever a final loudness figure arrives (cheap: read every tick)."""

    def final_levels(self, paths: list[Path]) -> list[TrackLevel]:
        """The final loudness figures known among `paths` (the session's reference is computed from them)."""

    def device_ok(self) -> bool:
        """The device probe (called every few seconds, and while the device is gone)."""
