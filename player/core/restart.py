"""Taking up a session cut short by a crash or power cut: same phase, track and place, always from silence.

Handlers of the session core's restart rows (player/core/session.py): `reopen` before the
state becomes playing or paused (the resume policy, player/core/resume.py, chose which),
`take_up` after it. Pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core import calmer_rules
from player.core.checkpoints import CheckpointBook
from player.core.cursor import track_at
from player.core.effects import BeginLevel, OpenLog, SaveState
from player.core.inputs import Restart
from player.core.phases import cross_boundaries
from player.core.running import Running, planned_phases, prefetch

if TYPE_CHECKING:
    from player.core.session import Moment, SessionMachine

CLOCK_DOUBTED = "the clock cannot be trusted across the restart: check the session, then resume"
LOG_MISSING = "this session's records from before the restart are missing"


def reopen(m: SessionMachine, r: Restart, when: Moment) -> None:
    """The session again, its clock paused at the save if it resumes paused; its log, music and level from low."""
    saved = r.saved
    tl = saved.timeline
    if r.policy == "pause" and saved.state != "paused":
        tl = tl.pause(saved.elapsed_s)
    s = Running(saved.session_id, r.playlist, when.now - when.at, tl, fading_out=saved.fading_out,
                planned=planned_phases(r.playlist, tl),
                checkpoints=CheckpointBook.from_dict(r.playlist.checkpoints, m.config.session.checkpoint_grace_s,
                                                     saved.checkpoints))
    s.cursor.track_index = saved.track_index
    m.session = s
    m.emit(OpenLog(s.id), prefetch(r.playlist), BeginLevel(saved.master_db))   # from silence, low


def take_up(m: SessionMachine, r: Restart, when: Moment) -> None:
    """Record the restart, then the music from the saved place (moved on by the downtime if it played on)."""
    s, saved, down, now_s = m.session, r.saved, r.down, when.at
    assert s is not None
    m.record("daemon_restarted", now_s, gap_s=round(down.gap_s, 3), policy=r.policy, state_before=saved.state,
             gap_source=down.source, **({"note": down.note} if down.note else {}))
    if not down.plausible:
        m.add_fault(CLOCK_DOUBTED, now_s)
    if r.log_missing:
        m.add_fault(LOG_MISSING, now_s)
    if m.state == "paused" and saved.state != "paused":
        m.record("paused", now_s, reason="resumed after a restart; waiting for staff")
    calmer_ended = calmer_rules.restore_calmer(m, saved, now_s)   # then the saved place was calmer music's
    position = _position(r, s, calmer_ended)
    index_before, calmer_before = s.timeline.index, s.calmer
    cross_boundaries(m, when, music=False)
    if m.session is None:
        return
    if s.calmer is not None and s.calmer.due(now_s) and s.timeline.paused_at_s is None:
        calmer_rules.end_calmer(m, s.calmer.until_s, "time up", music=False)
    if s.timeline.index != index_before or s.calmer is not calmer_before:
        position = 0.0
    if m.state == "playing":
        m.emit(m.phase_music(fade_in_s=m.config.volume.fade_in_s, start_s=position, after_restart=True))
    else:
        s.resume_position_s = position
    m.emit(SaveState())


def _position(r: Restart, s: Running, calmer_ended: bool) -> float:
    """Where in the saved track the music picks up; the next track's start when too little of it is left."""
    position = r.saved.position_s or 0.0
    if r.policy == "continue" and r.saved.state == "playing":
        position += r.down.gap_s
    if calmer_ended:
        position = 0.0
    track = track_at(s.phase, s.cursor.track_index)
    if track is not None and track.duration_s and position > track.duration_s - 2 * s.phase.crossfade_s:
        s.cursor.track_index, position = s.cursor.track_index + 1, 0.0
    return position
