"""What each staff control does to a session: the handlers of the session core's table (pure).

Each handler is ``(machine, control, moment) -> None``: it refuses (`SessionRefused`, before
changing anything), or emits effects and records through the machine. None of them writes
the state: the row of player/core/session.py's `TABLE` that runs them does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core.checklist import checklist_answers
from player.core.checkpoints import CheckpointBook
from player.core.controls import (
    Ack,
    EmergencyStop,
    Extend,
    Load,
    Mark,
    Observe,
    Start,
    Stop,
    Volume,
)
from player.core.cursor import track_at
from player.core.effects import (
    ApplyPendingLibrary,
    BeginLevel,
    ChangeLevel,
    ClearState,
    CloseLog,
    EmergencyStopAudio,
    Notify,
    OpenLog,
    PauseAudio,
    Record,
    RecordExposure,
    ResumeAudio,
    StopAudio,
)
from player.core.inputs import SessionCompleted
from player.core.observations import check_observation
from player.core.phases import enter_phase, phase_started
from player.core.running import (
    EMERGENCY_FADE_S,
    PAUSE_FADE_S,
    STOP_FADE_S,
    Running,
    planned_phases,
    prefetch,
)
from player.core.timeline import Timeline
from player.errors import SessionRefused
from player.playlist.checkpoint_spec import checkpoints_to_json
from player.playlist.model import Playlist

if TYPE_CHECKING:
    from player.core.session import Moment, SessionMachine

NO_PLAYLIST = "no playlist given and session.default_playlist is not set in the config"


def _session(m: SessionMachine) -> Running:
    assert m.session is not None, "the table runs this only while a session runs"
    return m.session


def load(m: SessionMachine, c: Load, at: Moment) -> None:
    if not isinstance(c.playlist, Playlist):
        raise SessionRefused(NO_PLAYLIST)
    m.ready = c.playlist
    m.emit(prefetch(c.playlist))


def chosen_playlist(c: Start, ready: Playlist | None) -> Playlist | None:
    """Which playlist a start plays: the one named, else the loaded one, else the configured default.

    A default the engine loaded (`c.default`) gives way to a playlist loaded ahead.
    """
    named = c.playlist if isinstance(c.playlist, Playlist) else None
    if c.default and ready is not None:
        return ready
    return named or ready


def start(m: SessionMachine, c: Start, at: Moment) -> None:
    """A new session: its log, its music measured ahead, its level from low, its first record."""
    pl = chosen_playlist(c, m.ready)
    if pl is None:
        raise SessionRefused(NO_PLAYLIST)
    assert c.session_id, "the engine names the session"
    checklist = checklist_answers(m.config.session, c.checked)   # refuses an incomplete one if required
    m.ready = None
    tl = Timeline.start(tuple(p.name for p in pl.phases), tuple(p.duration_s for p in pl.phases))
    m.faults = [f for f in m.faults if f == m.device_message()]
    m.session = Running(c.session_id, pl, at.now, tl, planned=planned_phases(pl, tl),
                        checkpoints=CheckpointBook(pl.checkpoints, m.config.session.checkpoint_grace_s))
    m.emit(OpenLog(c.session_id), prefetch(pl), BeginLevel(m.preset_db))   # every session starts low
    v = m.config.volume
    target = min(v.max_db, v.default_db if m.preset_db is None else m.preset_db)
    planned = [{"name": n, "planned_start_s": a, "planned_end_s": b}
               for n, (a, b) in zip(tl.names, m.session.planned, strict=True)]
    m.record("session_started", 0.0, at.source, playlist=pl.name, playlist_path=str(pl.path),
             room=m.config.room, max_db=v.max_db, start_db=v.start_db, default_db=target,
             resume_policy=m.config.session.resume_policy, phases=planned,
             **({"checkpoints": checkpoints_to_json(pl.checkpoints)} if pl.checkpoints else {}),
             **({"checklist": checklist} if checklist else {}))


def started(m: SessionMachine, c: Start, at: Moment) -> None:
    """Playing: the first phase begins, its first track fades in."""
    s = _session(m)
    phase_started(m, 0.0)
    first = s.playlist.phases[0]
    fade_in_s = first.fade_in_s if first.fade_in_s is not None else m.config.volume.fade_in_s
    m.emit(s.phase_music(fade_in_s=fade_in_s))


def pause(m: SessionMachine, c: object, at: Moment) -> None:
    s = _session(m)
    m.emit(PauseAudio(PAUSE_FADE_S))
    s.timeline = s.timeline.pause(at.at)
    m.record("paused", at.at, at.source)


def resume(m: SessionMachine, c: object, at: Moment) -> None:
    s = _session(m)
    if s.resume_position_s is not None:  # restored after a restart: nothing is loaded yet
        position, s.resume_position_s = s.resume_position_s, None
        m.emit(s.phase_music(fade_in_s=m.config.volume.fade_in_s, start_s=position))
    else:
        m.emit(ResumeAudio(PAUSE_FADE_S))
    s.timeline, paused_s = s.timeline.resume(at.at)
    if s.calmer is not None:
        s.calmer = s.calmer.shifted(paused_s)
    m.record("resumed", at.at, at.source, paused_s=round(paused_s, 3), planned_end_s=s.timeline.phase_end_s)


def next_track(m: SessionMachine, c: object, at: Moment) -> None:
    s = _session(m)
    current = track_at(s.phase, s.cursor.track_index)
    if track_at(s.phase, s.cursor.track_index + 1) is None:
        raise SessionRefused(f"no more tracks in phase {s.phase.name} (its playlist says on_short: silence)")
    s.cursor.track_index += 1
    m.record("track_skipped", at.at, at.source, file=s.track_name(current.path) if current else None,
             reason="staff: next track")
    m.emit(s.phase_music())


def advance(m: SessionMachine, c: object, at: Moment) -> None:
    s = _session(m)
    if s.timeline.is_last:
        raise SessionRefused(f"already in the last phase ({s.timeline.phase}); use stop to end the session")
    m.record("phase_advanced", at.at, at.source,
             **{"from": s.timeline.phase, "to": s.timeline.names[s.timeline.index + 1]})
    enter_phase(m, at.at, music=m.state == "playing")


def extend(m: SessionMachine, c: Extend, at: Moment) -> None:
    s = _session(m)
    s.timeline = s.timeline.extend(c.minutes * 60.0)
    if s.finishing:  # the phase was letting its track play out: it goes on with its own tracks
        s.finishing = False
        s.cursor.handed_turn = s.cursor.track_index
        m.emit(s.following(at.at, now=False))
    if s.fading_out:  # the final fade-out had begun: bring the music back up
        s.fading_out = False
        if m.state == "playing":
            m.emit(s.phase_music(fade_in_s=s.phase.crossfade_s or PAUSE_FADE_S))
    m.record("phase_extended", at.at, at.source, phase=s.timeline.phase, minutes=c.minutes,
             planned_end_s=s.timeline.phase_end_s)


def mark(m: SessionMachine, c: Mark, at: Moment) -> None:
    m.record("marked", at.at, at.source, text=c.text)


def ack(m: SessionMachine, c: Ack, at: Moment) -> None:
    s = _session(m)
    i = s.checkpoints.pick(at.at, c.text)
    if i is None:
        due = [s.checkpoints.checkpoints[j].text for j in s.checkpoints.due(at.at)]
        raise SessionRefused(f"no due checkpoint starts with {c.text!r}; due: {'; '.join(due)}" if c.text and due
                             else "no checkpoint is due")
    m.emit(Record("checkpoint_acknowledged", at.source, at.at, s.checkpoints.acknowledge(i, at.at, at.source, "ack")))


def observe(m: SessionMachine, c: Observe, at: Moment) -> None:
    """Record it; it also acknowledges the oldest due checkpoint whose text starts with its label."""
    s = _session(m)
    details = check_observation(c.kind, c.value, c.note, m.config.session.observation_kinds)
    m.record("observation", at.at, at.source, **details)
    i = s.checkpoints.pick(at.at, str(details["label"])) if c.kind != "note" else None
    if i is not None:
        done = s.checkpoints.acknowledge(i, at.at, at.source, c.kind)
        m.emit(Record("checkpoint_acknowledged", at.source, at.at, done))


def volume(m: SessionMachine, c: Volume, at: Moment) -> None:
    m.emit(ChangeLevel(at.source, at.at, c.delta_db, c.level_db))


def apply_library(m: SessionMachine, c: object, at: Moment) -> None:
    m.emit(ApplyPendingLibrary())


#: Why a session ended, by the input that ended it (the ``session_ended`` record's reason).
END_REASONS: dict[type, str] = {Stop: "stopped", EmergencyStop: "emergency_stop", SessionCompleted: "completed"}


def stop(m: SessionMachine, c: Stop, at: Moment) -> None:
    _end(m, c, at, StopAudio(STOP_FADE_S))


def emergency_stop(m: SessionMachine, c: EmergencyStop, at: Moment) -> None:
    _end(m, c, at, EmergencyStopAudio(EMERGENCY_FADE_S))


def _end(m: SessionMachine, c: object, at: Moment, fade: StopAudio | EmergencyStopAudio) -> None:
    if m.session is None:  # a loaded playlist not yet started
        m.ready = None
        return
    m.emit(fade)
    _ending(m, c, at)


def completed(m: SessionMachine, c: SessionCompleted, at: Moment) -> None:
    """The plan is over: the music fades out (unless its final fade-out already began)."""
    if not _session(m).fading_out:
        m.emit(StopAudio(STOP_FADE_S))
    _ending(m, c, at)


def _ending(m: SessionMachine, c: object, at: Moment) -> None:
    m.emit(RecordExposure(), ApplyPendingLibrary())   # the level heard; a deferred import
    m.record("session_ended", at.at, at.source, reason=END_REASONS[type(c)])


def closed(m: SessionMachine, c: object, at: Moment) -> None:
    """Ended: close the log, nothing to resume; the next patient starts from the configured levels."""
    s = m.session
    if s is None:
        return
    m.emit(CloseLog(s.id), ClearState(), Notify(f"{m.config.room}: session ended ({END_REASONS[type(c)]})"))
    m.session = None
    m.preset_db = None
