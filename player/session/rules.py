"""The session's rules: a pure core, ``(state, input) -> (state, effects)``.

Rule 1: everything that decides what the session does lives here; no I/O, no clock, no
threads. The engine (player/session/engine.py) feeds inputs in (a staff control, a tick,
an event of the mixer), each with the monotonic time and a view of the mixer, and performs
the effects that come out, in order: records to write, calls on the mixer, state to save.
The state table (player/session/states.py) says which control each state accepts; the
event vocabulary (player/session/events.py) says what each record holds.

Session time (``elapsed``) is monotonic seconds since the session started; the phase clock
(player/session/timeline.py) and the track cursor (player/session/cursor.py) are pure too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from player.audio.api import MixerEvent, Source
from player.config import Config
from player.core.bluetooth import HEADPHONES_LOST
from player.core.cap import cap_db
from player.errors import SessionRefused
from player.playlist.checkpoint_spec import checkpoints_to_json
from player.playlist.model import Phase, Playlist, Track
from player.playlist.plan import plan_session
from player.session import calmer as calm
from player.session.calmer_rules import CalmerRules
from player.session.checklist import checklist_answers
from player.session.checkpoints import CheckpointBook
from player.session.cursor import Cursor, track_at
from player.session.observations import check_observation
from player.session.resume import Downtime, Saved
from player.session.states import is_active, next_state, refusal
from player.session.timeline import Timeline

PAUSE_FADE_S = 3.0
STOP_FADE_S = 3.0
EMERGENCY_FADE_S = 0.5
NO_TRACK = "no playable track in phase "


# --- effects: what the engine performs ------------------------------------------------

@dataclass(frozen=True)
class Record:
    """Write a record (player/session/events.py) and hand it to the listeners."""

    type: str
    source: str
    at_s: float
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Audio:
    """Call the mixer: `call` is one of its commands (play, crossfade_to, queue_next, ...)."""

    call: str
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Volume:
    """Change the level (a step from what is heard, or a level) and record it as `source`'s."""

    source: str
    at_s: float
    delta_db: float | None = None
    level_db: float | None = None


@dataclass(frozen=True)
class Storage:
    """Open or close the session's log, save or clear the resume state, apply a deferred import."""

    what: str   # "open_log", "close_log", "save", "clear", "apply_pending_library"
    session_id: str | None = None


@dataclass(frozen=True)
class Notify:
    """A status line for the service manager."""

    text: str


Effect = Record | Audio | Volume | Storage | Notify


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
    checkpoints: CheckpointBook = field(default_factory=CheckpointBook)  # silent: never an Audio effect
    calmer: calm.Calmer | None = None  # calmer music plays instead of the phase's (player/session/calmer.py)

    @property
    def music(self) -> Playlist:
        """The playlist the cursor plays: the plan, or the plan with calmer music in the current phase."""
        return self.playlist if self.calmer is None else self.calmer.music

    @property
    def phase(self) -> Phase:
        return self.music.phases[self.timeline.index]


def planned_phases(playlist: Playlist, timeline: Timeline) -> tuple[tuple[float, float], ...]:
    """Each phase's planned (start, end) from the plan `session-player plan` shows, so plan and reports agree.

    They differ from the phase clock's only where a phase says ``finish_track`` (the plan knows
    how long its last track plays on); without probed tracks, the clock's are the plan.
    """
    try:
        return tuple((p.start_s, p.end_s) for p in plan_session(playlist).phases)
    except ValueError:
        return tuple(timeline.planned())


class SessionRules(CalmerRules):
    """The session's state and the rules that change it. Engine thread only; pure."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.state = "idle"
        self.session: Running | None = None
        self.ready: Playlist | None = None
        self.faults: list[str] = []
        self.preset_db: float | None = None    # a level set before the session (its playing level)
        self._fx: list[Effect] = []
        self._spans: tuple[Timeline, list[dict]] | None = None

    # --- inputs -------------------------------------------------------------------------
    def command(self, action: str, source: str, args: dict, now: float, mixer: MixerView) -> list[Effect]:
        """A staff control (already checked by `check_control`).

        Raises:
            SessionRefused: the state does not allow it, or its own rule refuses (nothing changed).
        """
        if next_state(self.state, action) is None:
            raise SessionRefused(refusal(self.state, action))
        try:
            getattr(self, f"_do_{action}")(source, now, mixer, **args)
        except BaseException:
            self._fx = []        # a refusal (or a bug) leaves nothing half done behind
            raise
        self._fx.append(Storage("save"))
        return self._take()

    def tick(self, now: float, mixer: MixerView) -> list[Effect]:
        """Time passed: phase boundaries, the final fade-out, a retry after every track failed."""
        s = self.session
        if s is not None and is_active(self.state):   # checkpoints come due while paused too
            announced = s.checkpoints.advance(self.elapsed(now))
            for type_, at_s, details in announced:
                self._fx.append(Record(type_, "system", at_s, details))
            if announced:
                self._fx.append(Storage("save"))   # a restart does not announce them again
        if s is not None and self.state in ("playing", "faulted"):
            at = self.elapsed(now)
            self._cross_boundaries(at, mixer)
            s = self.session
            if s is not None and self.state == "playing" and s.cursor.retry_due(at):
                self._play_following(at, now=True)
            if s is not None and self.state == "playing" and s.calmer and s.calmer.due(at) and not s.finishing:
                self._end_calmer(s.calmer.until_s, "time up")
            if s is not None and s.timeline.is_last and not s.fading_out:
                fade = s.phase.fade_out_s
                if fade and at >= s.timeline.phase_end_s - fade:
                    s.fading_out = True
                    self._fx.append(Audio("stop", {"fade_s": max(0.1, s.timeline.phase_end_s - at)}))
        return self._take()

    def heard(self, event: MixerEvent, now: float, mixer: MixerView) -> list[Effect]:
        """An event of the mixer (track started, ended, failed; the device; it needs a track)."""
        getattr(self, f"_on_{event.kind}")(event, self.elapsed(now), mixer)
        return self._take()

    def elapsed(self, now: float) -> float:
        return 0.0 if self.session is None else now - self.session.origin

    def next_due_s(self, now: float) -> float | None:
        """How long until the rules must see a tick again (a phase boundary, the final fade, a checkpoint)."""
        s = self.session
        if s is None or not is_active(self.state):
            return None
        at = self.elapsed(now)
        checkpoint = s.checkpoints.next_change_s(at)
        if self.state == "paused":
            return checkpoint
        due = [s.timeline.phase_end_s - at] + ([] if checkpoint is None else [checkpoint])
        if s.timeline.is_last and s.phase.fade_out_s and not s.fading_out:
            due.append(s.timeline.phase_end_s - s.phase.fade_out_s - at)
        if s.cursor.retry_at is not None:
            due.append(s.cursor.retry_at - at)
        if s.calmer is not None and s.calmer.until_s is not None:
            due.append(s.calmer.until_s - at)
        return max(0.0, min(due))

    # --- records and state ----------------------------------------------------------------
    def _take(self) -> list[Effect]:
        fx, self._fx = self._fx, []
        return fx

    def _record(self, type_: str, at_s: float, source: str = "system", **details: object) -> None:
        self._fx.append(Record(type_, source, at_s, details))

    def _set_state(self, new: str, at_s: float) -> None:
        old = self.state
        if new != old:
            self.state = new
            if self.session is not None:
                self._record("state_changed", at_s, **{"from": old, "to": new})

    def add_fault(self, message: str, at_s: float = 0.0) -> None:
        if message not in self.faults:
            self.faults.append(message)
            self._record("fault", at_s, message=message)

    def clear_fault(self, message: str, at_s: float = 0.0) -> None:
        if message in self.faults:
            self.faults.remove(message)
            self._record("fault_cleared", at_s, message=message)

    def take_effects(self) -> list[Effect]:
        """Effects left by `add_fault`/`clear_fault` called from outside an input (the engine's own faults)."""
        return self._take()

    # --- music ---------------------------------------------------------------------------
    def track_name(self, path) -> str:
        s = self.session
        try:
            return str(path.relative_to(s.playlist.path.parent)) if s is not None else path.name
        except ValueError:
            return path.name

    def _start_phase_music(self, at_s: float, *, fade_in_s: float | None = None, start_s: float = 0.0,
                           crossfade_s: float | None = None) -> None:
        """Play the cursor's track: from silence (`fade_in_s`), else crossfading (default: the phase's)."""
        s = self.session
        assert s is not None
        s.cursor.start_phase(s.cursor.track_index)
        source = s.cursor.current(s.music, s.timeline.index, start_s=start_s)
        crossfade_s = s.phase.crossfade_s if crossfade_s is None else crossfade_s
        if source is None:
            self._fx.append(Audio("stop", {"fade_s": crossfade_s or STOP_FADE_S}))
        elif fade_in_s is not None:
            self._fx.append(Audio("play", {"source": source, "fade_in_s": fade_in_s}))
        else:
            self._fx.append(Audio("crossfade_to", {"source": source, "crossfade_s": crossfade_s}))

    def _play_following(self, at_s: float, *, now: bool) -> None:
        """Hand the mixer what follows (crossfading `now`, or queued for the end of the current track)."""
        s = self.session
        assert s is not None
        source = s.cursor.following(s.music, s.timeline.index)
        if source is None and s.cursor.failures_in_row >= len(s.phase.tracks):
            s.cursor.wait_before_retry(at_s)        # every fallback failed too
            return
        if now and source is not None:
            self._fx.append(Audio("crossfade_to", {"source": source, "crossfade_s": s.phase.crossfade_s}))
        else:
            self._fx.append(Audio("queue_next", {"source": source, "crossfade_s": s.phase.crossfade_s}))

    def _prefetch(self, playlist: Playlist) -> None:
        """Have every track's loudness measured ahead, in play order (nothing is heard at a guessed level)."""
        self._fx.append(Audio("prefetch", {"sources": [Source(t.path) for t in playlist.all_tracks]}))

    def _queue_next_phase(self) -> None:
        """`finish_track`: the playing track plays out, then crossfades into the next phase's music."""
        s = self.session
        assert s is not None
        i = s.timeline.index + 1
        first = track_at(s.playlist.phases[i], 0)
        source = None if first is None else s.cursor.hand(first, i, 0, calmer=False)
        self._fx.append(Audio("queue_next", {"source": source, "crossfade_s": s.phase.crossfade_s}))

    # --- mixer events ------------------------------------------------------------------------
    def _on_track_started(self, ev: MixerEvent, at: float, mixer: MixerView) -> None:
        s = self.session
        if s is None:
            return
        turn = s.cursor.turn_of(ev.token)
        calmer = turn is not None and turn.calmer
        if s.finishing and s.timeline.due(at) and turn is not None and turn.phase_index == s.timeline.index + 1:
            s.finishing = False                         # the finished track handed over: the next phase begins
            self._enter_phase(at, music=False)
        source = ev.source
        assert source is not None
        turn = s.cursor.heard(ev.token, Track(source.path, source.trim_db, source.duration_s), s.timeline.index)
        fallback = turn is not None and turn.fallback
        if not fallback:
            for fault in [f for f in self.faults if f.startswith(NO_TRACK)]:
                self.clear_fault(fault, at)
        self._record("track_started", at, phase=s.phase.name, file=self.track_name(source.path),
                     **({"fallback": True} if fallback else {}), **({"calmer": True} if calmer else {}))
        self._fx.append(Storage("save"))            # a restart takes up this track, not the last one

    def _on_track_ended(self, ev: MixerEvent, at: float, mixer: MixerView) -> None:
        s = self.session
        if s is None or ev.source is None:
            return
        self._record("track_ended", at, file=self.track_name(ev.source.path))
        if s.finishing and mixer.current_token is None:  # it ended with nothing after it
            s.finishing = False
            self._enter_phase(at, music=self.state == "playing")

    def _on_track_failed(self, ev: MixerEvent, at: float, mixer: MixerView) -> None:
        s = self.session
        if s is None or ev.source is None:
            return
        self._record("track_skipped", at, file=self.track_name(ev.source.path),
                     reason=str(ev.detail.get("reason", "could not be played")))
        if s.cursor.failed(s.phase):
            self.add_fault(f"{NO_TRACK}{s.phase.name}", at)

    def _on_needs_track(self, ev: MixerEvent, at: float, mixer: MixerView) -> None:
        s = self.session
        if s is None or not is_active(self.state):
            return
        if s.fading_out:
            self._fx.append(Audio("queue_next", {"source": None, "crossfade_s": s.phase.crossfade_s}))
        elif s.finishing:
            self._queue_next_phase()
        else:
            self._play_following(at, now=bool(ev.detail.get("now")))

    def _on_fade_finished(self, ev: MixerEvent, at: float, mixer: MixerView) -> None:
        pass  # the state changed when the fade began; nothing waits for its end

    def _device_message(self) -> str:
        if self.config.audio.bluetooth is not None:
            return HEADPHONES_LOST
        return f"audio device lost: {self.config.audio.device}"

    def _on_device_lost(self, ev: MixerEvent, at: float, mixer: MixerView) -> None:
        new = next_state(self.state, "device_lost")
        if self.session is not None and new:
            self._set_state(new, at)
        self.add_fault(self._device_message(), at)

    def _on_device_restored(self, ev: MixerEvent, at: float, mixer: MixerView) -> None:
        new = next_state(self.state, "device_restored")
        if self.session is not None and new:
            self._set_state(new, at)
        self.clear_fault(self._device_message(), at)

    # --- phases --------------------------------------------------------------------------------
    def _enter_phase(self, at_s: float, *, music: bool) -> None:
        s = self.session
        assert s is not None
        old = s.timeline
        if s.calmer is not None:
            self._end_calmer(at_s, "phase ended", music=False)
        self._record("phase_ended", at_s, phase=old.phase, index=old.index)
        s.timeline = old.next_phase(at_s)
        s.cursor.start_phase(0)
        s.fading_out, s.finishing = False, False
        self._phase_started(at_s)
        if music:
            self._start_phase_music(at_s)

    def _phase_started(self, at_s: float) -> None:
        s = self.session
        assert s is not None
        tl = s.timeline
        self._record("phase_started", at_s, phase=tl.phase, index=tl.index, planned_start_s=tl.phase_start_s,
                     planned_end_s=tl.phase_end_s)
        self._fx.append(Notify(f"{self.config.room}: {tl.phase} (phase {tl.index + 1}/{len(tl.names)})"))

    def _cross_boundaries(self, at: float, mixer: MixerView, *, music: bool = True) -> None:
        """End every phase whose time is up, at its exact end; crossfade once into the last one reached.

        A phase with ``finish_track`` whose track still plays is not ended here: its track plays
        out and the next phase begins when the next phase's music takes over.
        """
        s = self.session
        crossfade_s = None
        while s is not None and s.timeline.due(at):
            end = s.timeline.phase_end_s
            if s.timeline.is_last:
                self._record("phase_ended", end, phase=s.timeline.phase, index=s.timeline.index)
                self._end_session("completed", "system", end)
                return
            if s.phase.finish_track and music and mixer.current_token is not None:
                if not s.finishing:
                    s.finishing = True
                    self._queue_next_phase()
                return
            crossfade_s = s.phase.crossfade_s  # the ending phase's crossfade carries into the next
            self._enter_phase(end, music=False)
        if crossfade_s is not None and music and self.state == "playing":
            self._start_phase_music(at, crossfade_s=crossfade_s)

    # --- controls ------------------------------------------------------------------------------
    def _do_load(self, source: str, now: float, mixer: MixerView, playlist: Playlist | None = None) -> None:
        if playlist is None:
            raise SessionRefused("no playlist given and session.default_playlist is not set in the config")
        self.ready = playlist
        self._prefetch(playlist)
        self.state = "ready"

    def _do_start(self, source: str, now: float, mixer: MixerView, playlist: Playlist | None = None,
                  session_id: str = "", checked: list[str] | bool | None = None) -> None:
        pl = playlist or self.ready
        if pl is None:
            raise SessionRefused("no playlist given and session.default_playlist is not set in the config")
        assert session_id, "the engine names the session"
        checklist = checklist_answers(self.config.session, checked)   # refuses an incomplete one if required
        self.ready = None
        tl = Timeline.start(tuple(p.name for p in pl.phases), tuple(p.duration_s for p in pl.phases))
        self.faults = [f for f in self.faults if f == self._device_message()]
        self.session = Running(session_id, pl, now, tl, planned=planned_phases(pl, tl),
                               checkpoints=CheckpointBook(pl.checkpoints, self.config.session.checkpoint_grace_s))
        self._fx.append(Storage("open_log", session_id))
        self._prefetch(pl)
        self._fx.append(Audio("begin_level", {"target_db": self.preset_db}))  # every session starts low
        v = self.config.volume
        target = min(cap_db(v), v.default_db if self.preset_db is None else self.preset_db)
        planned = [{"name": n, "planned_start_s": a, "planned_end_s": b}
                   for n, (a, b) in zip(tl.names, self.session.planned, strict=True)]
        self._record("session_started", 0.0, source, playlist=pl.name, playlist_path=str(pl.path),
                     room=self.config.room, max_db=cap_db(v), start_db=v.start_db, default_db=target,
                     resume_policy=self.config.session.resume_policy, phases=planned,
                     **({"checkpoints": checkpoints_to_json(pl.checkpoints)} if pl.checkpoints else {}),
                     **({"checklist": checklist} if checklist else {}))
        self._set_state("playing", 0.0)
        self._phase_started(0.0)
        first = pl.phases[0]
        self._start_phase_music(0.0, fade_in_s=first.fade_in_s if first.fade_in_s is not None else v.fade_in_s)

    def _do_pause(self, source: str, now: float, mixer: MixerView) -> None:
        s = self.session
        assert s is not None
        at = self.elapsed(now)
        self._fx.append(Audio("pause", {"fade_s": PAUSE_FADE_S}))
        s.timeline = s.timeline.pause(at)
        self._record("paused", at, source)
        self._set_state("paused", at)

    def _do_resume(self, source: str, now: float, mixer: MixerView) -> None:
        s = self.session
        assert s is not None
        at = self.elapsed(now)
        if s.resume_position_s is not None:  # restored after a restart: nothing is loaded yet
            position, s.resume_position_s = s.resume_position_s, None
            self._start_phase_music(at, fade_in_s=self.config.volume.fade_in_s, start_s=position)
        else:
            self._fx.append(Audio("resume", {"fade_s": PAUSE_FADE_S}))
        s.timeline, paused_s = s.timeline.resume(at)
        if s.calmer is not None:
            s.calmer = s.calmer.shifted(paused_s)
        self._record("resumed", at, source, paused_s=round(paused_s, 3), planned_end_s=s.timeline.phase_end_s)
        self._set_state("playing", at)

    def _do_next(self, source: str, now: float, mixer: MixerView) -> None:
        s = self.session
        assert s is not None
        at = self.elapsed(now)
        current = track_at(s.phase, s.cursor.track_index)
        if track_at(s.phase, s.cursor.track_index + 1) is None:
            raise SessionRefused(f"no more tracks in phase {s.phase.name} (its playlist says on_short: silence)")
        s.cursor.track_index += 1
        self._record("track_skipped", at, source, file=self.track_name(current.path) if current else None,
                     reason="staff: next track")
        self._start_phase_music(at)

    def _do_advance(self, source: str, now: float, mixer: MixerView) -> None:
        s = self.session
        assert s is not None
        if s.timeline.is_last:
            raise SessionRefused(f"already in the last phase ({s.timeline.phase}); use stop to end the session")
        at = self.elapsed(now)
        self._record("phase_advanced", at, source,
                     **{"from": s.timeline.phase, "to": s.timeline.names[s.timeline.index + 1]})
        self._enter_phase(at, music=self.state == "playing")

    def _do_extend(self, source: str, now: float, mixer: MixerView, minutes: float = 5.0) -> None:
        s = self.session
        assert s is not None
        at = self.elapsed(now)
        s.timeline = s.timeline.extend(minutes * 60.0)
        if s.finishing:  # the phase was letting its track play out: it goes on with its own tracks
            s.finishing = False
            s.cursor.handed_turn = s.cursor.track_index
            self._play_following(at, now=False)
        if s.fading_out:  # the final fade-out had begun: bring the music back up
            s.fading_out = False
            if self.state == "playing":
                self._start_phase_music(at, fade_in_s=s.phase.crossfade_s or PAUSE_FADE_S)
        self._record("phase_extended", at, source, phase=s.timeline.phase, minutes=minutes,
                     planned_end_s=s.timeline.phase_end_s)

    def _do_mark(self, source: str, now: float, mixer: MixerView, text: str) -> None:
        self._record("marked", self.elapsed(now), source, text=text)

    def _do_ack(self, source: str, now: float, mixer: MixerView, text: str | None = None) -> None:
        s = self.session
        assert s is not None
        at = self.elapsed(now)
        i = s.checkpoints.pick(at, text)
        if i is None:
            due = [s.checkpoints.checkpoints[j].text for j in s.checkpoints.due(at)]
            raise SessionRefused(f"no due checkpoint starts with {text!r}; due: {'; '.join(due)}" if text and due
                                 else "no checkpoint is due")
        self._fx.append(Record("checkpoint_acknowledged", source, at, s.checkpoints.acknowledge(i, at, source, "ack")))

    def _do_observe(self, source: str, now: float, mixer: MixerView, kind: str, value: object,
                    note: str | None = None) -> None:
        """Record it; it also acknowledges the oldest due checkpoint whose text starts with its label."""
        s = self.session
        assert s is not None
        at = self.elapsed(now)
        details = check_observation(kind, value, note, self.config.session.observation_kinds)
        self._record("observation", at, source, **details)
        i = s.checkpoints.pick(at, str(details["label"])) if kind != "note" else None
        if i is not None:
            done = s.checkpoints.acknowledge(i, at, source, kind)
            self._fx.append(Record("checkpoint_acknowledged", source, at, done))

    def _do_volume(self, source: str, now: float, mixer: MixerView, delta_db: float | None = None,
                   level_db: float | None = None) -> None:
        self._fx.append(Volume(source, self.elapsed(now), delta_db, level_db))

    def volume_set(self, level_db: float) -> None:
        """The engine tells the level staff set (before a session it becomes that session's level)."""
        if self.session is None:
            self.preset_db = level_db

    def _do_apply_library(self, source: str, now: float, mixer: MixerView) -> None:
        self._fx.append(Storage("apply_pending_library"))

    def _do_stop(self, source: str, now: float, mixer: MixerView) -> None:
        self._end("stopped", source, now, STOP_FADE_S)

    def _do_emergency_stop(self, source: str, now: float, mixer: MixerView) -> None:
        self._end("emergency_stop", source, now, EMERGENCY_FADE_S)

    def _end(self, reason: str, source: str, now: float, fade_s: float) -> None:
        if self.session is None:  # a loaded playlist not yet started
            self.ready, self.state = None, "idle"
            return
        self._fx.append(Audio("emergency_stop" if reason == "emergency_stop" else "stop", {"fade_s": fade_s}))
        self._end_session(reason, source, self.elapsed(now))

    def _end_session(self, reason: str, source: str, at_s: float) -> None:
        s = self.session
        assert s is not None
        if reason == "completed" and not s.fading_out:
            self._fx.append(Audio("stop", {"fade_s": STOP_FADE_S}))
        self._fx += [Storage("exposure"), Storage("apply_pending_library")]  # the level heard; a deferred import
        self._record("session_ended", at_s, source, reason=reason)
        self._set_state("ended", at_s)
        self._fx += [Storage("close_log", s.id), Storage("clear"),
                     Notify(f"{self.config.room}: session ended ({reason})")]
        self.session = None
        self.preset_db = None     # the next patient starts from the configured levels

    # --- after a crash or power cut (the saved state: player/session/resume.py) -----------------
    def restore(self, saved: Saved, playlist: Playlist, now: float, down: Downtime, *,
                log_missing: bool = False) -> list[Effect]:
        """Take up a session cut short: same phase, track and place, always from silence.

        Raises:
            ValueError: the playlist no longer has the session's phases (the engine starts idle).
        """
        tl = saved.timeline
        if tl.names != tuple(p.name for p in playlist.phases):
            raise ValueError("the playlist's phases changed since the session started")
        policy = self.config.session.resume_policy if down.plausible else "pause"
        now_s = saved.elapsed_s + down.gap_s
        was = saved.state
        if policy == "pause" and was != "paused":
            tl = tl.pause(saved.elapsed_s)
        s = Running(saved.session_id, playlist, now - now_s, tl, fading_out=saved.fading_out,
                    planned=planned_phases(playlist, tl),
                    checkpoints=CheckpointBook.from_dict(playlist.checkpoints, self.config.session.checkpoint_grace_s,
                                                         saved.checkpoints))
        s.cursor.track_index = saved.track_index
        self.session = s
        self.state = "paused" if tl.paused_at_s is not None else "playing"
        self._fx.append(Storage("open_log", s.id))
        self._prefetch(playlist)
        self._fx.append(Audio("begin_level", {"target_db": saved.master_db}))   # from silence, low
        self._record("daemon_restarted", now_s, gap_s=round(down.gap_s, 3), policy=policy, state_before=was,
                     gap_source=down.source, **({"note": down.note} if down.note else {}))
        if not down.plausible:
            self.add_fault("the clock cannot be trusted across the restart: check the session, then resume", now_s)
        if log_missing:
            self.add_fault("this session's records from before the restart are missing", now_s)
        if self.state == "paused" and was != "paused":
            self._record("paused", now_s, reason="resumed after a restart; waiting for staff")
        calmer_ended = self._restore_calmer(saved, now_s)   # then the saved place was calmer music's
        position = saved.position_s or 0.0
        if policy == "continue" and was == "playing":
            position += down.gap_s
        if calmer_ended:
            position = 0.0
        track = track_at(s.phase, s.cursor.track_index)
        if track is not None and track.duration_s and position > track.duration_s - 2 * s.phase.crossfade_s:
            s.cursor.track_index, position = s.cursor.track_index + 1, 0.0
        index_before, calmer_before = s.timeline.index, s.calmer
        self._cross_boundaries(now_s, MixerView(), music=False)
        if self.session is not None:
            if s.calmer is not None and s.calmer.due(now_s) and s.timeline.paused_at_s is None:
                self._end_calmer(s.calmer.until_s, "time up", music=False)
            if s.timeline.index != index_before or s.calmer is not calmer_before:
                position = 0.0
            if self.state == "playing":
                self._start_phase_music(now_s, fade_in_s=self.config.volume.fade_in_s, start_s=position)
            else:
                s.resume_position_s = position
            self._fx.append(Storage("save"))
        return self._take()

    # --- what staff see -----------------------------------------------------------------------
    def snapshot(self, now: float) -> dict:
        """The session part of the status (see `player.session.control.STATUS_KEYS`)."""
        s = self.session
        snap: dict = {"state": self.state, "room": self.config.room, "max_db": cap_db(self.config.volume),
                      "faults": list(self.faults), "phases": [], "elapsed_s": 0.0, "phase": None,
                      "phase_index": None, "session_id": None, "playlist": None, "phase_elapsed_s": None,
                      "phase_remaining_s": None, "remaining_s": None, "track": None, "checkpoints": [],
                      "calmer": None, "calmer_available": False}
        if self.ready is not None:
            snap["playlist"] = self.ready.name
        if s is None:
            return snap
        at = self.elapsed(now)
        tl = s.timeline
        paused = 0.0 if tl.paused_at_s is None else at - tl.paused_at_s
        track = track_at(s.phase, s.cursor.track_index)
        snap.update(
            session_id=s.id, playlist=s.playlist.name, phase=tl.phase, phase_index=tl.index,
            elapsed_s=round(at, 3), phase_elapsed_s=round(at - tl.phase_start_s, 3),
            phase_remaining_s=round(max(0.0, tl.phase_end_s + paused - at), 3),
            remaining_s=round(max(0.0, tl.projected_end_s(at) - at), 3),
            track=None if track is None else self.track_name(track.path), phases=self._phases(s, at),
            checkpoints=s.checkpoints.snapshot(at),
            calmer=None if s.calmer is None else s.calmer.status(),
            calmer_available=calm.has_calmer(s.playlist, tl.index))
        return snap

    def _phases(self, s: Running, at: float) -> list[dict]:
        """The phases' times for status; unchanged while the timeline is (the status is built every second)."""
        if self._spans is not None and self._spans[0] is s.timeline and s.timeline.paused_at_s is None:
            return [dict(p) for p in self._spans[1]]
        spans = [{"name": p.name, "planned_start_s": plan[0], "planned_end_s": plan[1],
                  "actual_start_s": p.actual_start_s, "actual_end_s": p.actual_end_s,
                  "expected_start_s": p.expected_start_s, "expected_end_s": p.expected_end_s}
                 for p, plan in zip(s.timeline.spans(at), s.planned, strict=True)]
        self._spans = (s.timeline, spans)
        return [dict(p) for p in spans]
