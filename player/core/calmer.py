"""Calmer music on demand: which tracks play instead of the phase's, until when, and the way back.

Pure. Staff ask for calmer music for a distressed patient (`session-player calmer
[MINUTES]`, the web page's button); the phase's own ``calmer:`` tracks, else the
playlist's, then play instead of the phase's tracks: crossfading in now, looping, for
MINUTES or until staff switch back or the phase ends, then crossfading back to the plan
at the turn after the one it interrupted. The phase clock never changes; a pause moves
the calmer period's end by the pause's length, as it moves the phase's. At a phase
boundary the calmer period ends with its phase: the next phase plays its own music
(asking again is one command, and music that was right for one phase may not suit the next).

The rules (player/core/session.py) hold one `Calmer` while it plays and hand its `music`
(the playlist with the phase's tracks replaced) to the track cursor, so skips, failures
and fallbacks work on calmer music exactly as on the plan's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from player.errors import SessionRefused
from player.playlist.model import Phase, Playlist

#: Calmer music never cuts in: its crossfades in and out are at least this long (or the phase's).
MIN_CROSSFADE_S = 3.0


@dataclass(frozen=True)
class Calmer:
    """Calmer music playing in phase `phase_index` since `since_s` (session time).

    Attributes:
        until_s: when it gives way to the plan again; None: at `calmer off` or the phase's end.
        minutes: what staff asked for (None: no limit).
        plan_turn: the plan's turn it interrupted; the plan takes up at the turn after it.
        music: the playlist with phase `phase_index`'s tracks replaced by its calmer music.
    """

    phase_index: int
    since_s: float
    until_s: float | None
    minutes: float | None
    plan_turn: int
    music: Playlist

    def status(self) -> dict:
        """The ``calmer`` key of the status."""
        return {"since_s": round(self.since_s, 3), "until_s": None if self.until_s is None else round(self.until_s, 3)}

    def due(self, at_s: float) -> bool:
        return self.until_s is not None and at_s >= self.until_s

    def shifted(self, seconds: float) -> Calmer:
        """A pause of `seconds` ended: the calmer period ends that much later (as the phase does)."""
        return self if self.until_s is None else replace(self, until_s=self.until_s + seconds)

    def to_saved(self) -> dict:
        """What a restart needs (player/core/resume.py checks it back: `check_saved_calmer`)."""
        return {"phase_index": self.phase_index, "since_s": round(self.since_s, 3), "plan_turn": self.plan_turn,
                "until_s": None if self.until_s is None else round(self.until_s, 3), "minutes": self.minutes}


def has_calmer(playlist: Playlist, index: int) -> bool:
    return bool(playlist.calmer_for(index))


def crossfade_s(phase: Phase) -> float:
    """The crossfade into and out of calmer music: the phase's, never shorter than `MIN_CROSSFADE_S`."""
    return max(phase.crossfade_s, MIN_CROSSFADE_S)


def _music(playlist: Playlist, index: int) -> Playlist:
    phase = playlist.phases[index]
    calm = replace(phase, tracks=playlist.calmer_for(index), on_short="loop")
    return replace(playlist, phases=playlist.phases[:index] + (calm,) + playlist.phases[index + 1:])


def begin(playlist: Playlist, index: int, at_s: float, minutes: float | None, plan_turn: int,
          since_s: float | None = None) -> Calmer:
    """Calmer music for phase `index` from `at_s` (`since_s`: when an earlier request began it).

    Raises:
        SessionRefused: the phase has no calmer music, nor has the playlist.
    """
    if not has_calmer(playlist, index):
        raise SessionRefused(f"no calmer music for phase {playlist.phases[index].name}: add 'calmer:' tracks "
                             "to the phase or to the playlist")
    until = None if minutes is None else at_s + minutes * 60.0
    return Calmer(index, at_s if since_s is None else since_s, until, minutes, plan_turn, _music(playlist, index))


def restored(playlist: Playlist, saved: dict, index: int) -> Calmer | None:
    """The calmer period a restart takes up, None when the phase (now) has no calmer music or has moved on."""
    if saved["phase_index"] != index or not has_calmer(playlist, index):
        return None
    return Calmer(index, saved["since_s"], saved["until_s"], saved["minutes"], saved["plan_turn"],
                  _music(playlist, index))
