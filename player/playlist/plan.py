"""The timeline a session would follow if nobody touched a control: pure arithmetic.

Rules (the session engine follows the same ones; `tracks_for_phase` is shared):

- Phases follow each other on the clock. A phase starts when its first track starts; the
  track playing at the end of a phase is cut there and fades out over the phase's
  crossfade while the next phase's first track fades in (so it sounds `crossfade_s`
  longer than the phase). With ``finish_track: true`` that track plays out instead and
  the phase ends (and the next begins) where its crossfade would have begun; later
  phases move later by the same amount.
- Inside a phase, the next track starts `crossfade_s` before the current one ends.
- ``on_short: loop`` plays the list again from the first track (loop 1, 2, ...);
  ``on_short: silence`` plays it once and is silent until the phase ends.
- The last phase ends the session; its `fade_out_s` ends at the session's end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from player.playlist.model import Phase, Playlist, Track


@dataclass(frozen=True)
class TrackTurn:
    """One play of a track in a phase's order.

    Attributes:
        turn: 0-based position in the phase's play order, counting loops (resume with it).
        index: index into ``phase.tracks``.
        loop: 0 on the first pass through the list, 1 on the second, ...
    """

    turn: int
    index: int
    loop: int
    track: Track


def tracks_for_phase(phase: Phase, start_turn: int = 0) -> Iterator[TrackTurn]:
    """The tracks a phase plays, in order, starting at `start_turn`.

    Endless for ``on_short: loop`` (the phase's clock, not the list, ends it); one pass for
    ``on_short: silence``; empty when the phase has no tracks. To skip a track that will
    not play, take the next item; after a restart, resume with the saved ``turn + 1``.
    """
    count = len(phase.tracks)
    turn = max(start_turn, 0)
    while count and (phase.on_short == "loop" or turn < count):
        yield TrackTurn(turn=turn, index=turn % count, loop=turn // count, track=phase.tracks[turn % count])
        turn += 1


@dataclass(frozen=True)
class PlannedTrack:
    """A track's place on the session timeline (seconds from the session start).

    Attributes:
        duration_s: how long it sounds, including its fade-out into the next track or phase.
        crossfade_at_s: where its fade-out begins (the next track starts here), or None
            when it simply ends (last track of an ``on_short: silence`` phase, end of session).
        cut: the phase end cuts it before the file ends.
    """

    file: str
    track: Track
    index: int
    loop: int
    start_s: float
    duration_s: float
    crossfade_at_s: float | None
    cut: bool


@dataclass(frozen=True)
class PhasePlan:
    """Attributes: silent_from_s: where the phase falls silent (no tracks left), else None."""

    name: str
    start_s: float
    end_s: float
    planned_duration_s: float
    crossfade_s: float
    fade_in_s: float | None
    fade_out_s: float | None
    tracks: tuple[PlannedTrack, ...]
    silent_from_s: float | None


@dataclass(frozen=True)
class SessionPlan:
    name: str
    total_s: float
    phases: tuple[PhasePlan, ...]


def plan_session(playlist: Playlist) -> SessionPlan:
    """Lay out every phase and track of a probed playlist.

    Raises:
        ValueError: a track has no probed duration, or is not longer than the crossfade
            (a validated, probed playlist never does).
    """
    base = os.fspath(playlist.path.parent)
    phases = []
    start = 0.0
    for i, phase in enumerate(playlist.phases):
        planned = _plan_phase(phase, start, base, is_last=i == len(playlist.phases) - 1)
        phases.append(planned)
        start = planned.end_s
    return SessionPlan(name=playlist.name, total_s=start, phases=tuple(phases))


def _plan_phase(phase: Phase, start: float, base: str, *, is_last: bool) -> PhasePlan:
    crossfade = phase.crossfade_s
    tail = 0.0 if is_last else crossfade
    end = start + phase.duration_s
    at = start
    tracks: list[PlannedTrack] = []
    silent_from: float | None = start
    for turn in tracks_for_phase(phase):
        length = _length(turn.track, crossfade)
        handoff = at + length - crossfade
        last_of_pass = phase.on_short == "silence" and turn.turn == len(phase.tracks) - 1
        file = os.path.relpath(turn.track.path, base)
        if (at + length if last_of_pass else handoff) < end:
            tracks.append(PlannedTrack(file, turn.track, turn.index, turn.loop, at, length,
                                       None if last_of_pass else handoff, cut=False))
            silent_from = at + length if last_of_pass else None
            at = handoff
            continue
        silent_from = None
        if phase.finish_track:
            end = max(end, at + length - tail)
            sounding, cut = length, False
        else:
            sounding = min(end - at + tail, length)
            cut = sounding < length
        tracks.append(PlannedTrack(file, turn.track, turn.index, turn.loop, at, sounding,
                                   None if is_last else end, cut=cut))
        break
    if silent_from is not None and silent_from >= end:
        silent_from = None
    return PhasePlan(name=phase.name, start_s=start, end_s=end, planned_duration_s=phase.duration_s,
                     crossfade_s=crossfade, fade_in_s=phase.fade_in_s, fade_out_s=phase.fade_out_s,
                     tracks=tuple(tracks), silent_from_s=silent_from)


def _length(track: Track, crossfade: float) -> float:
    if track.duration_s is None:
        raise ValueError(f"{track.title}: no duration (load the playlist with probe=True to plan it)")
    if track.duration_s <= crossfade:
        raise ValueError(f"{track.title} ({track.duration_s:g} s) is not longer than the crossfade ({crossfade:g} s)")
    return track.duration_s


def plan_to_json(plan: SessionPlan) -> dict:
    """The plan as plain JSON data (seconds rounded to milliseconds)."""
    return {
        "name": plan.name,
        "total_s": _r(plan.total_s),
        "phases": [
            {
                "name": p.name,
                "start_s": _r(p.start_s),
                "end_s": _r(p.end_s),
                "planned_duration_s": _r(p.planned_duration_s),
                "crossfade_s": _r(p.crossfade_s),
                "fade_in_s": _r(p.fade_in_s),
                "fade_out_s": _r(p.fade_out_s),
                "silent_from_s": _r(p.silent_from_s),
                "tracks": [
                    {"file": t.file, "start_s": _r(t.start_s), "duration_s": _r(t.duration_s), "loop": t.loop,
                     "crossfade_at_s": _r(t.crossfade_at_s), "cut": t.cut, "gain_db": t.track.gain_db}
                    for t in p.tracks
                ],
            }
            for p in plan.phases
        ],
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
