"""A running session's own data, and the music it hands the mixer next (pure).

`Running` is what the session core (player/core/session.py) keeps while a session runs:
its playlist, phase clock (player/core/timeline.py), track cursor (player/core/cursor.py),
checkpoints and calmer music. Its methods decide which track the mixer gets and how (from
silence, crossfading, queued for the end of the current track) and return that as one
typed effect (player/core/effects.py); they never write records or the session's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from player.core import calmer as calm
from player.core.checkpoints import CheckpointBook
from player.core.cursor import Cursor, track_at
from player.core.effects import Crossfade, Play, Prefetch, QueueNext, StopAudio
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

    def phase_music(self, *, fade_in_s: float | None = None, start_s: float = 0.0,
                    crossfade_s: float | None = None, after_restart: bool = False) -> Play | Crossfade | StopAudio:
        """The cursor's track: from silence (`fade_in_s`), else crossfading (default: the phase's).

        `after_restart`: taken up after the daemon went down (effects.Play: a short pre-roll).
        """
        self.cursor.start_phase(self.cursor.track_index)
        source = self.cursor.current(self.music, self.timeline.index, start_s=start_s)
        crossfade_s = self.phase.crossfade_s if crossfade_s is None else crossfade_s
        if source is None:
            return StopAudio(crossfade_s or STOP_FADE_S)
        if fade_in_s is not None:
            return Play(source, fade_in_s, after_restart)
        return Crossfade(source, crossfade_s)

    def following(self, at_s: float, *, now: bool) -> Crossfade | QueueNext | None:
        """What follows (crossfading `now`, or queued for the end of the current track); None: wait, then retry."""
        source = self.cursor.following(self.music, self.timeline.index)
        if source is None and self.cursor.failures_in_row >= len(self.phase.tracks):
            self.cursor.wait_before_retry(at_s)        # every fallback failed too
            return None
        if now and source is not None:
            return Crossfade(source, self.phase.crossfade_s)
        return QueueNext(source, self.phase.crossfade_s)

    def next_phase_queued(self) -> QueueNext:
        """`finish_track`: the playing track plays out, then crossfades into the next phase's music."""
        i = self.timeline.index + 1
        first = track_at(self.playlist.phases[i], 0)
        source = None if first is None else self.cursor.hand(first, i, 0, calmer=False)
        return QueueNext(source, self.phase.crossfade_s)


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
