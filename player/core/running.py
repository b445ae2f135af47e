"""A running session's own data (pure).

`Running` is what the session core (player/core/session.py) keeps while a session runs:
its playlist, phase clock (player/core/timeline.py), track cursor (player/core/cursor.py),
checkpoints and calmer music. Which track the mixer gets and how (from silence, crossfading,
queued for the end of the current track) the `SessionMachine` decides from this data and
builds as one typed effect (`phase_music`, `following`, `next_phase_queued`): the machine
that owns the session is the one place its music is decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from player.core import calmer as calm
from player.core.checkpoints import CheckpointBook
from player.core.cursor import Cursor
from player.core.effects import Prefetch
from player.core.media import Source
from player.core.timeline import Timeline
from player.playlist.model import Phase, Playlist
from player.playlist.plan import plan_session

PAUSE_FADE_S = 3.0
STOP_FADE_S = 3.0
EMERGENCY_FADE_S = 0.5


@dataclass(frozen=True)
class MixerView:
    """What the rules need to know of the mixer when an input arrives (read by the engine)."""

    current_token: int | None = None
    position_s: float | None = None
    audible: bool = False


@dataclass
class Running:
    """The running session's own data."""

    id: str
    playlist: Playlist
    origin: float                      # monotonic reading at session time 0
    timeline: Timeline
    cursor: Cursor = field(default_factory=Cursor)
    fading_out: bool = False           # the final fade-out has begun
    finishing: bool = False            # the phase's time is up; its finish_track track plays out
    resume_position_s: float | None = None  # restored paused: where the music picks up on resume
    planned: tuple[tuple[float, float], ...] = ()  # (start, end) of each phase, as `plan` shows them
    checkpoints: CheckpointBook = field(default_factory=CheckpointBook)  # silent: never an audio effect
    calmer: calm.Calmer | None = None  # calmer music plays instead of the phase's (player/core/calmer.py)

    @property
    def music(self) -> Playlist:
        """The playlist the cursor plays: the plan, or the plan with calmer music in the current phase."""
        return self.playlist if self.calmer is None else self.calmer.music

    @property
    def phase(self) -> Phase:
        return self.music.phases[self.timeline.index]

    def track_name(self, path: Path) -> str:
        return track_name(path, self.playlist)


def track_name(path: Path, playlist: Playlist | None) -> str:
    """A track as records name it: relative to the playlist's folder when it is inside it, else its name."""
    try:
        return str(path.relative_to(playlist.path.parent)) if playlist is not None else path.name
    except ValueError:
        return path.name


def prefetch(playlist: Playlist) -> Prefetch:
    """Have every track's loudness measured ahead, in play order (nothing is heard at a guessed level)."""
    return Prefetch(tuple(Source(t.path) for t in playlist.all_tracks))


def planned_phases(playlist: Playlist, timeline: Timeline) -> tuple[tuple[float, float], ...]:
    """Each phase's planned (start, end) from the plan `session-player plan` shows, so plan and reports agree.

    They differ from the phase clock's only where a phase says ``finish_track`` (the plan knows
    how long its last track plays on); without probed tracks, the clock's are the plan.
    """
    try:
        return tuple((p.start_s, p.end_s) for p in plan_session(playlist).phases)
    except ValueError:
        return tuple(timeline.planned())
