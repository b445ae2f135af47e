"""The session core: `SessionMachine`, ``(state, input, now) -> (state, effects)``, pure.

Rule 1: everything that decides what the session does lives in player/core/; no I/O, no
clock, no threads. The engine (player/engine/loop.py) feeds inputs in (a staff control, a
tick, an event of the mixer, a restart), each with the monotonic time and a view of the
mixer, and performs the typed effects that come out (player/core/effects.py), in order.

The transition table (`TABLE`) is the one truth of the session's state: a row
``(state, input class) -> Row(next, act, then)`` runs `act`, moves to `next`, then runs
`then`. `_enter` is the only place that writes the state, and only `_run` calls it with a
row's right-hand side; no handler assigns it (tests/core/test_machine.py walks the table
and reads the source to prove both). The rows' next states come from the vocabulary's table
(player/core/vocabulary.py), which the edges use to say what is allowed.

What each staff control does is below the machine, one handler each (``(machine, control,
moment) -> None``: it refuses with `SessionRefused` before changing anything, or emits
effects and records). The other handlers live beside it, one job each: phases and the
mixer's events (player/core/phases.py), the ends of calmer music (player/core/calmer_rules.py), the
restart (player/core/restart.py) and the status (player/core/status.py).

Which track the mixer gets and how (from silence, crossfading, queued) is the machine's own
decision, for every handler: `phase_music`, `following` and `next_phase_queued` build the
music effect from the running session's data (player/core/running.py). The handler modules
call them through the machine they are handed, so they never import this module at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from player.core import anchored_phase, calmer_rules, phases, restart, status
from player.core import calmer as calm
from player.core.bluetooth import HEADPHONES_LOST
from player.core.cap import cap_db
from player.core.checklist import checklist_answers
from player.core.checkpoints import CheckpointBook
from player.core.controls import (
    Ack,
    Advance,
    ApplyLibrary,
    Calmer,
    Control,
    EmergencyStop,
    Extend,
    Infusion,
    Load,
    Mark,
    MusicFeedback,
    Next,
    Observe,
    Pause,
    Press,
    Resume,
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
    Crossfade,
    Effect,
    EmergencyStopAudio,
    Notify,
    OpenLog,
    PauseAudio,
    Play,
    QueueNext,
    Record,
    RecordExposure,
    ResumeAudio,
    SaveState,
    StopAudio,
)
from player.core.infusion import infusion
from player.core.inputs import (
    DeviceLost,
    DeviceRestored,
    RestartPaused,
    RestartPlaying,
    SessionCompleted,
)
from player.core.media import MixerEvent
from player.core.music_feedback import give_feedback
from player.core.music_prefs import begin_level
from player.core.observations import check_observation
from player.core.phases import enter_phase, phase_started
from player.core.resume import Downtime, Saved
from player.core.running import (
    EMERGENCY_FADE_S,
    PAUSE_FADE_S,
    STOP_FADE_S,
    MixerView,
    Running,
    planned_phases,
    prefetch,
)
from player.core.timeline import Timeline
from player.core.vocabulary import (
    PRESS_MEANS,
    STATES,
    TRANSITIONS,
    State,
    is_active,
    refusal,
)
from player.errors import SessionRefused
from player.playlist.checkpoint_spec import checkpoints_to_json
from player.playlist.model import Playlist

if TYPE_CHECKING:   # the core takes the settings as a value; it never reads the config file
    from player.config import Config

STORAGE_FAULT = "session records cannot be saved: "
#: Followed by how many: records dropped because more waited for the disk than memory keeps.
LOST_FAULT = "session records lost while the disk refused writes: "


def lost_fault(lost: int, max_pending: int) -> str:
    """The fault staff see once records were dropped (`RecordKeeper.lost`)."""
    return f"{LOST_FAULT}{lost} (more than {max_pending} waited)"


@dataclass(frozen=True)
class Moment:
    """Who asked (`source`), the monotonic reading `now`, session time `at`, and the mixer then."""

    source: str
    now: float
    at: float
    mixer: MixerView


Handler = Callable[["SessionMachine", Any, Moment], None]


@dataclass(frozen=True)
class Row:
    """One transition: run `act`, move to `next` (recorded unless `announce` is false), run `then`."""

    next: State
    act: Handler | None = None
    then: Handler | None = None
    announce: bool = True


class SessionMachine:
    """The session's state and the rules that change it. Engine thread only; pure."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._state: State = "idle"
        self.session: Running | None = None
        self.ready: Playlist | None = None
        self.faults: list[str] = []
        self.preset_db: float | None = None    # a level set before the session (its playing level)
        self.lost_recorded = 0                 # records dropped (RecordKeeper.lost) when last recorded as a fault
        self._fx: list[Effect] = []
        self._status = status.StatusCache()

    @property
    def state(self) -> State:
        """The state; written only by the transition table (`_enter`)."""
        return self._state

    # --- inputs -------------------------------------------------------------------------
    def decide(self, control: Control) -> Control:
        """What `control` means now: a short press becomes start, pause or resume, from the real state.

        Raises:
            SessionRefused: a press means nothing in this state (faulted).
        """
        if not isinstance(control, Press):
            return control
        meant = PRESS_MEANS.get(self._state)
        if meant is None:
            raise SessionRefused(f"a short press does nothing while the session is {self._state}")
        if meant == "start":
            return Start(playlist=control.playlist, default=control.default)
        return Pause() if meant == "pause" else Resume()

    def command(self, control: Control, source: str, now: float, mixer: MixerView) -> list[Effect]:
        """A staff control (already checked by `check_control`), through the table.

        Raises:
            SessionRefused: the state does not allow it, or its own rule refuses (nothing changed).
        """
        control = self.decide(control)
        try:
            self._run(self._row(control), control, Moment(source, now, self.elapsed(now), mixer))
        except BaseException:
            self._fx = []        # a refusal (or a bug) leaves nothing half done behind
            raise
        self._fx.append(SaveState())
        return self._take()

    def tick(self, now: float, mixer: MixerView) -> list[Effect]:
        """Time passed: checkpoints, phase boundaries, the final fade-out, a retry after every track failed."""
        phases.tick(self, Moment("system", now, self.elapsed(now), mixer))
        return self._take()

    def heard(self, event: MixerEvent, now: float, mixer: MixerView) -> list[Effect]:
        """An event of the mixer (track started, ended, failed; the device; it needs a track)."""
        phases.MIXER_EVENTS[event.kind](self, event, Moment("system", now, self.elapsed(now), mixer))
        return self._take()

    def restore(self, saved: Saved, playlist: Playlist, now: float, down: Downtime, *,
                log_missing: bool = False) -> list[Effect]:
        """Take up a session cut short (player/core/restart.py): same phase, track and place, from silence.

        Raises:
            ValueError: the playlist no longer has the session's phases (the engine starts idle).
        """
        if saved.timeline.names != tuple(p.name for p in playlist.phases):
            raise ValueError("the playlist's phases changed since the session started")
        policy = self.config.session.resume_policy if down.plausible else "pause"
        paused = (policy == "pause" and saved.state != "paused") or saved.timeline.paused_at_s is not None
        inp = (RestartPaused if paused else RestartPlaying)(saved, playlist, down, policy, log_missing)
        self._run(self._row(inp), inp, Moment("system", now, saved.elapsed_s + down.gap_s, MixerView()))
        return self._take()

    def level_changed(self, source: str, at_s: float, old_db: float, new_db: float) -> list[Effect]:
        """The engine changed the level as a `ChangeLevel` asked: record it (before a session it is a preset)."""
        self.volume_set(new_db)
        return [Record("volume_changed", source, at_s, {"from_db": round(old_db, 2), "to_db": round(new_db, 2)})]

    def volume_set(self, level_db: float) -> None:
        """The level staff set (before a session it becomes that session's level)."""
        if self.session is None:
            self.preset_db = level_db

    def storage(self, problem: str | None, pending: int, now: float, *, lost: int = 0,
                max_pending: int = 0) -> list[Effect]:
        """The disk's news: a problem becomes a fault; it clears once nothing waits to be written.

        Records dropped past `max_pending` (`lost`) are a fault too, recorded once everything
        kept is on the disk (until then `status` shows it from `unrecorded_lost`).
        """
        shown = next((f for f in self.faults if f.startswith(STORAGE_FAULT)), None)
        if problem and shown is None:
            self.add_fault(STORAGE_FAULT + problem, self.elapsed(now))
        elif not problem and shown is not None and not pending:
            self.clear_fault(shown, self.elapsed(now))
        if lost != self.lost_recorded and not pending:
            self.lost_recorded = lost
            for old in [f for f in self.faults if f.startswith(LOST_FAULT)]:
                self.clear_fault(old, self.elapsed(now))
            self.add_fault(lost_fault(lost, max_pending), self.elapsed(now))
        return self._take()

    def elapsed(self, now: float) -> float:
        return 0.0 if self.session is None else now - self.session.origin

    def next_due_s(self, now: float) -> float | None:
        """How long until the rules must see a tick again (a phase boundary, the final fade, a checkpoint)."""
        s = self.session
        if s is None or not is_active(self._state):
            return None
        return phases.next_due_s(s, self._state, self.elapsed(now))

    def snapshot(self, now: float) -> dict:
        """The session part of the status (see `player.control.controller.STATUS_KEYS`)."""
        return self._status.snapshot(self, now)

    # --- the table: the only writer of the state ------------------------------------------
    def _row(self, inp: Any) -> Row:
        row = TABLE.get((self._state, type(inp)))
        if row is None:
            raise SessionRefused(refusal(self._state, inp.action))
        return row

    def event(self, inp: Any, when: Moment) -> None:
        """An input from inside the player (the device, the plan's end): its row, or nothing in this state."""
        row = TABLE.get((self._state, type(inp)))
        if row is not None and self.session is not None:
            self._run(row, inp, when)

    def _run(self, row: Row, inp: Any, when: Moment) -> None:
        if row.act is not None:
            row.act(self, inp, when)
        self._enter(row.next, when.at, row.announce)
        if row.then is not None:
            row.then(self, inp, when)

    def _enter(self, new: State, at_s: float, announce: bool) -> None:
        old, self._state = self._state, new
        if announce and new != old and self.session is not None:
            self.record("state_changed", at_s, **{"from": old, "to": new})

    # --- the music the mixer gets next: decided here, for every handler ---------------------
    def phase_music(self, *, fade_in_s: float | None = None, start_s: float = 0.0,
                    crossfade_s: float | None = None, after_restart: bool = False) -> Play | Crossfade | StopAudio:
        """The cursor's track: from silence (`fade_in_s`), else crossfading (default: the phase's).

        `after_restart`: taken up after the daemon went down (effects.Play: a short pre-roll).
        """
        s = _session(self)
        s.cursor.start_phase(s.cursor.track_index)
        source = s.cursor.current(s.music, s.timeline.index, start_s=start_s)
        crossfade_s = s.phase.crossfade_s if crossfade_s is None else crossfade_s
        if source is None:
            return StopAudio(crossfade_s or STOP_FADE_S)
        if fade_in_s is not None:
            return Play(source, fade_in_s, after_restart)
        return Crossfade(source, crossfade_s)

    def following(self, at_s: float, *, now: bool) -> Crossfade | QueueNext | None:
        """What follows (crossfading `now`, or queued for the end of the current track); None: wait, then retry."""
        s = _session(self)
        source = s.cursor.following(s.music, s.timeline.index)
        if source is None and s.cursor.failures_in_row >= len(s.phase.tracks):
            s.cursor.wait_before_retry(at_s)        # every fallback failed too
            return None
        if now and source is not None:
            return Crossfade(source, s.phase.crossfade_s)
        return QueueNext(source, s.phase.crossfade_s)

    def next_phase_queued(self) -> QueueNext:
        """`finish_track`: the playing track plays out, then crossfades into the next phase's music."""
        s = _session(self)
        i = s.timeline.index + 1
        first = track_at(s.playlist.phases[i], 0)
        source = None if first is None else s.cursor.hand(first, i, 0, calmer=False)
        return QueueNext(source, s.phase.crossfade_s)

    # --- effects, records, faults -----------------------------------------------------------
    def emit(self, *effects: Effect | None) -> None:
        """Effects for the engine, in order (None: a handler decided there is nothing to do)."""
        self._fx += [fx for fx in effects if fx is not None]

    def record(self, type_: str, at_s: float, source: str = "system", **details: object) -> None:
        self._fx.append(Record(type_, source, at_s, details))

    def _take(self) -> list[Effect]:
        fx, self._fx = self._fx, []
        return fx

    def add_fault(self, message: str, at_s: float = 0.0) -> None:
        if message not in self.faults:
            self.faults.append(message)
            self.record("fault", at_s, message=message)

    def clear_fault(self, message: str, at_s: float = 0.0) -> None:
        if message in self.faults:
            self.faults.remove(message)
            self.record("fault_cleared", at_s, message=message)

    def take_effects(self) -> list[Effect]:
        """Effects left by `add_fault`/`clear_fault` called from outside an input (the engine's own faults)."""
        return self._take()

    def device_message(self) -> str:
        if self.config.audio.bluetooth is not None:
            return HEADPHONES_LOST
        return f"audio device lost: {self.config.audio.device}"

    def assume_state_for_test(self, state: State) -> None:
        """Test hook of `FakeController.set_state_for_test`, never called by the engine: edges under test
        see a state (faulted) that no script reaches without an audio device."""
        self._state = state


# --- what each control does: the handlers of the table's rows --------------------

NO_PLAYLIST = "no playlist given and session.default_playlist is not set in the config"


def _session(m: SessionMachine) -> Running:
    assert m.session is not None, "the table runs this only while a session runs"
    return m.session


def load(m: SessionMachine, c: Load, when: Moment) -> None:
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


def start(m: SessionMachine, c: Start, when: Moment) -> None:
    """A new session: its log, its music measured ahead, its level from low, its first record."""
    pl = chosen_playlist(c, m.ready)
    if pl is None:
        raise SessionRefused(NO_PLAYLIST)
    assert c.session_id, "the engine names the session"
    checklist = checklist_answers(m.config.session, c.checked)   # refuses an incomplete one if required
    m.ready = None
    tl = Timeline.start(tuple(p.name for p in pl.phases), tuple(p.duration_s for p in pl.phases))
    m.faults = [f for f in m.faults if f == m.device_message()]
    m.session = Running(c.session_id, pl, when.now, tl, planned=planned_phases(pl, tl),
                        checkpoints=CheckpointBook(pl.checkpoints, m.config.session.checkpoint_grace_s))
    v = m.config.volume
    target = min(cap_db(v), v.default_db if m.preset_db is None else m.preset_db)
    level = begin_level(target, c.preferences)   # quieter: lower, never higher
    m.emit(OpenLog(c.session_id), prefetch(pl),
           BeginLevel(m.preset_db if level == target else level))   # every session starts low
    planned = [{"name": n, "planned_start_s": a, "planned_end_s": b}
               for n, (a, b) in zip(tl.names, m.session.planned, strict=True)]
    m.record("session_started", 0.0, when.source, playlist=pl.name, playlist_path=str(pl.path),
             room=m.config.room, max_db=cap_db(v), start_db=v.start_db, default_db=target,
             resume_policy=m.config.session.resume_policy, phases=planned,
             **({"checkpoints": checkpoints_to_json(pl.checkpoints)} if pl.checkpoints else {}),
             **({"checklist": checklist} if checklist else {}))
    if c.preferences is not None:
        m.record("music_preferences", 0.0, when.source, **c.preferences.as_record(),
                 **({"level_db": level} if level != target else {}))


def started(m: SessionMachine, c: Start, when: Moment) -> None:
    """Playing: the first phase begins, its first track fades in."""
    s = _session(m)
    phase_started(m, 0.0)
    first = s.playlist.phases[0]
    fade_in_s = first.fade_in_s if first.fade_in_s is not None else m.config.volume.fade_in_s
    m.emit(m.phase_music(fade_in_s=fade_in_s))


def pause(m: SessionMachine, c: object, when: Moment) -> None:
    s = _session(m)
    m.emit(PauseAudio(PAUSE_FADE_S))
    s.timeline = s.timeline.pause(when.at)
    m.record("paused", when.at, when.source)


def resume(m: SessionMachine, c: object, when: Moment) -> None:
    s = _session(m)
    if s.resume_position_s is not None:  # restored after a restart: nothing is loaded yet
        position, s.resume_position_s = s.resume_position_s, None
        m.emit(m.phase_music(fade_in_s=m.config.volume.fade_in_s, start_s=position, after_restart=True))
    else:
        m.emit(ResumeAudio(PAUSE_FADE_S))
    s.timeline, paused_s = s.timeline.resume(when.at)
    if s.calmer is not None:
        s.calmer = s.calmer.shifted(paused_s)
    m.record("resumed", when.at, when.source, paused_s=round(paused_s, 3), planned_end_s=s.timeline.phase_end_s)


def next_track(m: SessionMachine, c: object, when: Moment) -> None:
    s = _session(m)
    current = track_at(s.phase, s.cursor.track_index)
    if track_at(s.phase, s.cursor.track_index + 1) is None:
        raise SessionRefused(f"no more tracks in phase {s.phase.name} (its playlist says on_short: silence)")
    s.cursor.track_index += 1
    m.record("track_skipped", when.at, when.source, file=s.track_name(current.path) if current else None,
             reason="staff: next track")
    m.emit(m.phase_music())


def advance(m: SessionMachine, c: object, when: Moment) -> None:
    s = _session(m)
    if s.timeline.is_last:
        raise SessionRefused(f"already in the last phase ({s.timeline.phase}); use stop to end the session")
    m.record("phase_advanced", when.at, when.source,
             **{"from": s.timeline.phase, "to": s.timeline.names[s.timeline.index + 1]})
    enter_phase(m, when.at, music=m.state == "playing")


def extend(m: SessionMachine, c: Extend, when: Moment) -> None:
    _session(m)
    anchored_phase.lengthen(m, c.minutes, when.at, when.source)


def mark(m: SessionMachine, c: Mark, when: Moment) -> None:
    m.record("marked", when.at, when.source, text=c.text)


def ack(m: SessionMachine, c: Ack, when: Moment) -> None:
    s = _session(m)
    i = s.checkpoints.pick(when.at, c.text)
    if i is None:
        due = [s.checkpoints.checkpoints[j].text for j in s.checkpoints.due(when.at)]
        raise SessionRefused(f"no due checkpoint starts with {c.text!r}; due: {'; '.join(due)}" if c.text and due
                             else "no checkpoint is due")
    done = s.checkpoints.acknowledge(i, when.at, when.source, "ack")
    m.emit(Record("checkpoint_acknowledged", when.source, when.at, done))


def observe(m: SessionMachine, c: Observe, when: Moment) -> None:
    """Record it; it also acknowledges the oldest due checkpoint whose text starts with its label."""
    s = _session(m)
    details = check_observation(c.kind, c.value, c.note, m.config.session.observation_kinds)
    m.record("observation", when.at, when.source, **details)
    i = s.checkpoints.pick(when.at, str(details["label"])) if c.kind != "note" else None
    if i is not None:
        done = s.checkpoints.acknowledge(i, when.at, when.source, c.kind)
        m.emit(Record("checkpoint_acknowledged", when.source, when.at, done))


def volume(m: SessionMachine, c: Volume, when: Moment) -> None:
    m.emit(ChangeLevel(when.source, when.at, c.delta_db, c.level_db))


def calmer(m: SessionMachine, c: Calmer, when: Moment) -> None:
    """Calmer music now, for `minutes` (None: until `off` or the phase ends), or back to the plan (`off`)."""
    s = m.session
    assert s is not None
    if c.off:
        if s.calmer is None:
            raise SessionRefused("calmer music is not playing; the plan's music plays")
        calmer_rules.end_calmer(m, when.at, "staff", when.source)
        return
    if s.finishing or s.fading_out:
        raise SessionRefused(f"phase {s.timeline.phase} is ending: its last music plays out")
    was = s.calmer
    plan_turn, since = (s.cursor.track_index, None) if was is None else (was.plan_turn, was.since_s)
    s.calmer = calm.begin(s.playlist, s.timeline.index, when.at, c.minutes, plan_turn, since)
    m.record("calmer_started", when.at, when.source, phase=s.timeline.phase, minutes=c.minutes,
             until_s=s.calmer.until_s)
    if was is None:         # asked again while calmer music plays: only its end changes
        s.cursor.calmer, s.cursor.track_index = True, 0
        m.emit(m.phase_music(crossfade_s=calm.crossfade_s(s.phase)))


def apply_library(m: SessionMachine, c: object, when: Moment) -> None:
    m.emit(ApplyPendingLibrary())


#: Why a session ended, by the input that ended it (the ``session_ended`` record's reason).
END_REASONS: dict[type, str] = {Stop: "stopped", EmergencyStop: "emergency_stop", SessionCompleted: "completed"}


def stop(m: SessionMachine, c: Stop, when: Moment) -> None:
    _end(m, c, when, StopAudio(STOP_FADE_S))


def emergency_stop(m: SessionMachine, c: EmergencyStop, when: Moment) -> None:
    _end(m, c, when, EmergencyStopAudio(EMERGENCY_FADE_S))


def _end(m: SessionMachine, c: object, when: Moment, fade: StopAudio | EmergencyStopAudio) -> None:
    if m.session is None:  # a loaded playlist not yet started
        m.ready = None
        return
    m.emit(fade)
    _ending(m, c, when)


def completed(m: SessionMachine, c: SessionCompleted, when: Moment) -> None:
    """The plan is over: the music fades out (unless its final fade-out already began)."""
    if not _session(m).fading_out:
        m.emit(StopAudio(STOP_FADE_S))
    _ending(m, c, when)


def _ending(m: SessionMachine, c: object, when: Moment) -> None:
    m.emit(RecordExposure(), ApplyPendingLibrary())   # the level heard; a deferred import
    m.record("session_ended", when.at, when.source, reason=END_REASONS[type(c)])


def closed(m: SessionMachine, c: object, when: Moment) -> None:
    """Ended: close the log, nothing to resume; the next patient starts from the configured levels."""
    s = m.session
    if s is None:
        return
    m.emit(CloseLog(s.id), ClearState(), Notify(f"{m.config.room}: session ended ({END_REASONS[type(c)]})"))
    m.session = None
    m.preset_db = None


#: What each input does, by its class: (before the state changes, after it changed).
HANDLERS: dict[type, tuple[Handler | None, Handler | None]] = {
    Load: (load, None),
    Start: (start, started),
    Pause: (pause, None),
    Resume: (resume, None),
    Next: (next_track, None),
    Advance: (advance, None),
    Extend: (extend, None),
    Mark: (mark, None),
    Volume: (volume, None),
    Ack: (ack, None),
    Observe: (observe, None),
    Calmer: (calmer, None),
    Infusion: (infusion, None),
    ApplyLibrary: (apply_library, None),
    MusicFeedback: (give_feedback, None),
    Stop: (stop, closed),
    EmergencyStop: (emergency_stop, closed),
    SessionCompleted: (completed, closed),
    DeviceLost: (None, None),
    DeviceRestored: (None, None),
    RestartPlaying: (restart.reopen, restart.take_up),
    RestartPaused: (restart.reopen, restart.take_up),
}
_SILENT = (RestartPlaying, RestartPaused)   # a restart is recorded as daemon_restarted, not state_changed

#: The transition table: every (state, input class) the vocabulary's table allows, with its handlers.
TABLE: dict[tuple[str, type], Row] = {
    (state, cls): Row(TRANSITIONS[(state, cls.action)], act, then, announce=cls not in _SILENT)
    for cls, (act, then) in HANDLERS.items() for state in STATES if (state, cls.action) in TRANSITIONS}
