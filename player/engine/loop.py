"""The session engine: the one thread that owns a treatment session, around the pure core.

Everything that can change the session arrives as an item on one queue: staff controls
(`submit`, from the button, socket and web threads), audio-output events (posted by
libVLC's threads), and the engine's own tick. The core (player/core/session.py) decides;
this shell performs what it decides, in order, each typed effect (player/core/effects.py)
through one method found by the effect's class (`Performer`, at the end): it calls the
mixer, writes records through the `Journal` (player/engine/journal.py), saves the resume
state (player/engine/persist.py), tells systemd, and hands each record to the listeners.

What the shell guarantees:

* a control is answered once its records are written, or are waiting in memory because the
  disk refuses (the answer's status says ``records_pending``); nothing the disk does can
  stop the loop: a storage fault is a fault staff see, and the music plays on;
* a control carries a deadline: one whose caller was told "no answer" is dropped, never
  applied later; a playlist is loaded and validated in the caller's thread, never here;
* `submit` from the engine thread itself (a listener) is refused at once: it would wait for
  itself until its timeout;
* an unexpected error in one step is logged and shown as a fault; the thread never dies.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from player.clock import Clock
from player.config import Config
from player.control.controller import STATUS_KEYS, Listener, Listeners, check_control
from player.core import effects as fx
from player.core.cap import cap_db
from player.core.controls import Control, Load, MusicFeedback, Press, Start
from player.core.effects import Effect
from player.core.media import OutputEvent
from player.core.running import MixerView
from player.core.session import LOST_FAULT, SessionMachine, lost_fault
from player.core.vocabulary import is_active
from player.engine import persist
from player.engine.eventlog import SESSIONS_DIR
from player.engine.feedback_log import check_session, feedback_path, feedback_record
from player.engine.journal import Journal
from player.engine.records import RecordKeeper
from player.errors import PlaylistInvalid, SessionRefused
from player.playlist.model import Playlist

log = logging.getLogger(__name__)

TICK_S = 0.02
MAX_IDLE_S = 1.0   # the longest the loop sleeps: staff controls wake it at once anyway
SAVE_EVERY_S = 30.0   # besides every control and track change; a restart adds the downtime to what was saved
RETRY_EVERY_S = 5.0
PUBLISH_EVERY_S = 1.0


class Notifier:
    """What the player tells the service manager; the default does nothing (see player/systemd.py)."""

    def ready(self) -> None: ...

    def status(self, text: str) -> None: ...

    def watchdog(self) -> None: ...


# --- what waits on the queue besides the audio output's events ---------------------------------

@dataclass
class Command:
    """A checked control from an edge, and its answer once the engine acted on it."""

    control: Control
    source: str
    actor: dict | None
    deadline: float
    wanted: Callable[[], bool] | None = None   # False once the caller hung up (the socket's peer)
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None
    error: BaseException | None = None
    _state: str = "queued"                 # queued -> taken (engine) | dropped (too late)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        """The engine's turn: True to apply it, False when its caller has given up (or will)."""
        with self._lock:
            if self._state == "queued" and time.monotonic() <= self.deadline and (
                    self.wanted is None or self.wanted()):
                self._state = "taken"
                return True
            self._state = "dropped"
            return False

    def give_up(self) -> bool:
        """The caller's timeout: True when it will never be applied."""
        with self._lock:
            if self._state == "queued":
                self._state = "dropped"
            return self._state == "dropped"


@dataclass
class Sync:
    """Set once the engine has run a full tick after it was queued (tests, after moving a fake clock)."""

    done: threading.Event = field(default_factory=threading.Event)


_STOP = object()   # ends the engine's thread (the session, if any, stays saved for the next start)


def session_dir_name(wall: datetime, room: str) -> str:
    """``20260101-090000-room-3``: sortable, readable, no patient data (room is the only identity)."""
    slug = re.sub(r"[^a-z0-9]+", "-", room.lower()).strip("-")[:40] or "room"
    return f"{wall:%Y%m%d-%H%M%S}-{slug}"


def new_session_id(sessions_dir: Path, wall: datetime, room: str) -> str:
    """`session_dir_name`, with ``-2``, ``-3``, ... when a session of that second already has a folder."""
    base = session_dir_name(wall, room)
    sid, n = base, 1
    while (sessions_dir / sid).exists():
        n += 1
        sid = f"{base}-{n}"
    return sid


class SessionEngine:
    """Runs sessions; implements the `Controller` protocol for the edges.

    Args:
        config: the daemon's configuration.
        mixer: a `player.engine.output.Mixer`, used only from the engine thread.
        clock: monotonic time for phases, wall time for records, boot clock for restarts.
        load_playlist: validates a playlist file (raises PlaylistInvalid); runs in the caller's thread.
        notifier: told the phase and watchdog pings.
        apply_pending_library: makes a deferred USB import current (without waiting for a
            running import); returns the generation, or None.
        load_to_resume: loads the playlist of a session cut short (default `load_playlist`;
            the daemon's tolerates a track that went bad meanwhile).
        records: where records and saved state go (default: a `RecordKeeper` on the data dir).
    """

    def __init__(self, config: Config, mixer, clock: Clock, *, load_playlist: Callable[[Path], Playlist],
                 notifier: Notifier | None = None, tick_s: float = TICK_S,
                 apply_pending_library: Callable[[], str | None] | None = None,
                 load_to_resume: Callable[[Path], Playlist] | None = None,
                 records: RecordKeeper | None = None) -> None:
        self.config = config
        self._mixer = mixer
        self._clock = clock
        self._load_playlist = load_playlist
        self._load_to_resume = load_to_resume or load_playlist
        self._notifier = notifier or Notifier()
        self._tick_s = tick_s
        self._machine = SessionMachine(config)
        self._keeper = records or RecordKeeper(config.data_dir)
        self._listeners = Listeners()
        self._journal = Journal(config, clock, self._keeper, self._listeners,
                                stored=lambda: self._performer.disk_news(), published=self._publish)
        self._performer = Performer(self._machine, mixer, clock, self._journal, self._keeper,
                                    notify=self._notifier.status, apply_pending=apply_pending_library or (lambda: None))
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._snapshot: dict = {}
        self._last = {"retry": -1e18, "publish": -1e18, "watchdog": -1e18}

    def __repr__(self) -> str:
        s = self._machine.session
        return f"<SessionEngine {self._machine.state} {s.id if s else ''}>"

    # --- the Controller protocol (any thread) -------------------------------------------

    def submit(self, action: str, *, source: str, timeout_s: float = 10.0, actor: dict | None = None,
               wanted: Callable[[], bool] | None = None, **args: object) -> dict:
        """Queue a control and wait for it (see `player.control.controller.Controller`).

        Raises:
            SessionRefused, TimeoutError (it was not applied), RuntimeError (called from the engine thread).
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("submit() from the engine thread (a listener) would wait for itself; "
                               "listeners must only hand the record on")
        deadline = time.monotonic() + timeout_s
        control = check_control(action, source, args, self.config.session.observation_kinds)
        if not self.is_running:
            raise SessionRefused("the session engine is not running")
        if isinstance(control, (Start, Load)) or (isinstance(control, Press) and not self._may_be_running()):
            control = self._prepare_playlist(control)
        if isinstance(control, MusicFeedback):
            check_session(self.config.data_dir, control, now=self._clock.wall(),    # read here, in the caller's
                          editable_s=self.config.music_feedback.editable_s)     # thread
        cmd = Command(control, source, actor, deadline, wanted)
        self._queue.put(cmd)
        if not cmd.done.wait(max(0.0, deadline - time.monotonic())) and cmd.give_up():
            raise TimeoutError(f"the session engine did not answer {action!r} within {timeout_s:g} s; "
                               "it was not applied")
        cmd.done.wait()
        if cmd.error is not None:
            raise cmd.error
        return cmd.result  # type: ignore[return-value]

    def _may_be_running(self) -> bool:
        """Whether a session ran at the last status: then a press cannot start one, and needs no playlist read."""
        return is_active(self.status().get("state") or "idle")

    def _prepare_playlist(self, control: Start | Load | Press) -> Control:
        """Load and validate the playlist in the caller's thread (the engine never reads files for a caller).

        Without a playlist named, the configured default is loaded and marked so; the core
        decides whether a playlist loaded ahead goes before it.
        """
        name = control.playlist
        if name is None and self.config.session.default_playlist is not None:
            name, control = str(self.config.session.default_playlist), dataclasses.replace(control, default=True)
        if not isinstance(name, str):
            return control
        try:
            # Resolved, so a restart resumes from the same library generation after a USB import.
            playlist = self._load_playlist(Path(name).resolve())
        except PlaylistInvalid as exc:
            shown = "\n  ".join(map(str, exc.diagnostics[:10])) or str(exc)
            raise SessionRefused(f"playlist {name} is not valid:\n  {shown}") from None
        except OSError as exc:
            raise SessionRefused(f"cannot read playlist {name}: {exc.strerror or exc}") from None
        return dataclasses.replace(control, playlist=playlist)

    def status(self) -> dict:
        with self._lock:
            return dict(self._snapshot)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    def sync(self, timeout_s: float = 10.0) -> bool:
        """Wait until the engine has run a full tick after this call (tests, after moving a fake clock)."""
        item = Sync()
        self._queue.put(item)
        return item.done.wait(timeout_s)

    # --- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Open the audio, restore a session cut short by a crash or power loss, start the thread."""
        if self._thread is not None:
            return
        self._mixer.open(self._queue.put)
        self._keeper.keep_reserve()
        self._guarded(lambda: self._perform(persist.restore(self._machine, self._keeper, self._clock,
                                                             self._load_to_resume)))
        self._publish()
        self._thread = threading.Thread(target=self._run, name="session-engine", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the thread (the session, if any, stays saved for the next start); idempotent."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout_s)
        mixer, self._mixer = self._mixer, None
        if mixer is not None:
            mixer.close()
        self._keeper.close()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the engine thread -------------------------------------------------------------

    def _run(self) -> None:
        next_tick = time.monotonic()
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                item = None
            syncs = []
            while item is not None:
                if item is _STOP:
                    self._guarded(self._performer.save)
                    self._guarded(self._fade_before_exit)
                    return
                if isinstance(item, Sync):
                    syncs.append(item)
                elif isinstance(item, Command):
                    self._on_command(item)
                elif isinstance(item, OutputEvent):
                    self._guarded(lambda ev=item: self._on_mixer_events(self._mixer.handle(ev)))
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            now = time.monotonic()
            if syncs or now >= next_tick:
                self._guarded(self._tick)
                next_tick = now + self._idle_s()
            for s in syncs:
                s.done.set()

    def _guarded(self, step: Callable[[], None]) -> None:
        """Run a step; an unexpected error is logged and shown as a fault, never kills the thread."""
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - the engine must survive its own bugs
            log.exception("session engine step failed")
            try:
                self._machine.add_fault(f"internal error: {exc}", self._elapsed())
                self._perform(self._machine.take_effects())
            except Exception:  # noqa: BLE001 - even the fault could not be shown: it is in the journal
                log.exception("could not record the internal error")

    def _on_command(self, cmd: Command) -> None:
        if not cmd.take():
            cmd.error = TimeoutError(f"{cmd.control.action} came too late to the session engine (past its caller's "
                                     "deadline, or the caller hung up); it was not applied")
            cmd.done.set()
            return
        control = cmd.control
        try:
            control = self._machine.decide(control)     # a press: start, pause or resume, from the real state
            if isinstance(control, Start):
                control = dataclasses.replace(control, session_id=new_session_id(
                    self.config.data_dir / SESSIONS_DIR, self._clock.wall(), self.config.room))
            self._performer.actor = cmd.actor
            self._perform(self._machine.command(control, cmd.source, self._clock.monotonic(), self._view()))
        except SessionRefused as exc:
            cmd.error = exc
        except Exception as exc:  # noqa: BLE001 - answer the caller, keep running
            log.exception("control %s failed", control.action)
            cmd.error = SessionRefused(f"{control.action} failed: {exc}")
        finally:
            self._performer.actor = None
            self._publish()
            cmd.result = self.status()
            if isinstance(cmd.control, Press):
                cmd.result["press"] = control.action   # what the press meant (the bedside reports it)
            cmd.done.set()

    def _on_mixer_events(self, events) -> None:
        for ev in events:
            self._perform(self._machine.heard(ev, self._clock.monotonic(), self._view()))

    def _tick(self) -> None:
        self._on_mixer_events(self._mixer.tick())
        now = self._clock.monotonic()
        self._perform(self._machine.tick(now, self._view()))
        self._perform([self._journal.exposure(now, self._mixer.heard_db)])
        mono = time.monotonic()
        if (self._keeper.pending or self._keeper.problem) and mono - self._last["retry"] >= RETRY_EVERY_S:
            self._last["retry"] = mono
            self._performer.retry_records()
        if self._machine.session is not None and now - self._performer.saved_at >= SAVE_EVERY_S:
            self._performer.save()
        if mono - self._last["watchdog"] >= 1.0:
            self._last["watchdog"] = mono
            self._notifier.watchdog()
        if mono - self._last["publish"] >= PUBLISH_EVERY_S or self._mixer.idle_s < MAX_IDLE_S:
            self._publish()

    def _idle_s(self) -> float:
        """How long the loop may sleep: every tick while fades move, else until the next thing due."""
        wait = min(MAX_IDLE_S, self._mixer.idle_s)
        due = self._machine.next_due_s(self._clock.monotonic())
        if due is not None and due > 0:
            wait = min(wait, due)
        return max(self._tick_s, wait)

    def _fade_before_exit(self) -> None:
        """The player is stopping (service stop, update) while music plays: ramp it down, never cut it.

        The saved session stays as it was, so the next start resumes it from silence.
        """
        if self._mixer.is_silent:
            return
        self._mixer.emergency_stop(fade_s=0.5)
        deadline = time.monotonic() + 0.5 + self.config.audio.latency_s + 1.0
        while self._mixer.mode != "silent" and time.monotonic() < deadline:   # until the fade was heard
            self._mixer.tick()
            time.sleep(self._tick_s)

    # --- what the core is told and does --------------------------------------------------

    def _view(self) -> MixerView:
        current = self._mixer.current
        return MixerView(None if current is None else current.token, self._mixer.position_s,
                         not self._mixer.is_silent)

    def _perform(self, effects: list[Effect | None]) -> None:
        self._performer.perform(effects)

    def _elapsed(self) -> float:
        return self._machine.elapsed(self._clock.monotonic())

    # --- status ----------------------------------------------------------------------------

    def _publish(self) -> None:
        now = self._clock.monotonic()
        self._last["publish"] = time.monotonic()
        snap = dict.fromkeys(STATUS_KEYS)
        snap.update(self._machine.snapshot(now))
        mixer = self._mixer
        if mixer is not None:
            level = mixer.level_db
            snap.update(volume_db=round(mixer.master_target_db, 2), volume_now_db=round(mixer.master_db, 2),
                        level_db=None if level is None else round(level, 2), audio=mixer.activity)
            calibration = self.config.volume.calibration_dba_at_0db
            if calibration is not None:         # levels at the ear, from the chair's calibration
                heard = mixer.heard_db
                snap.update(volume_dba=round(mixer.master_target_db + calibration, 1),
                            max_dba=round(cap_db(self.config.volume) + calibration, 1),
                            heard_dba=None if heard is None else round(heard + calibration, 1))
        if self._keeper.lost != self._machine.lost_recorded:  # staff see it at once; recorded once the disk takes it
            snap["faults"] = [f for f in snap["faults"] if not f.startswith(LOST_FAULT)] \
                + [lost_fault(self._keeper.lost, self._keeper.max_pending)]
        snap["records_pending"] = self._keeper.pending
        with self._lock:
            self._snapshot = snap


# --- performing what the core decided: one method per effect class ------------------------------

class Performer:
    """Performs the core's effects on the mixer, the records, the state file and the service manager.

    Each typed effect (player/core/effects.py) goes to the method `_performers` names for its
    class, which makes one direct call, so every hop from a rule to the libVLC call is a name
    "go to definition" follows, and an effect with no method is a KeyError in the engine's
    tests, not a typo on the engine thread. After each storage effect the core is told how
    the disk is doing; it decides whether that is a fault.

    Args:
        machine: the session core (told the level changed and the disk's news).
        mixer: the mixer (player/engine/output.py), engine thread only.
        clock: monotonic time for the session's clock.
        journal: writes the records.
        keeper: the durable store (state file, records waiting).
        notify: tells the service manager a status line.
        apply_pending: makes a deferred USB import current; returns its generation or None.
    """

    def __init__(self, machine: SessionMachine, mixer, clock: Clock, journal: Journal, keeper: RecordKeeper, *,
                 notify: Callable[[str], None], apply_pending: Callable[[], str | None]) -> None:
        self._machine = machine
        self._mixer = mixer
        self._clock = clock
        self._journal = journal
        self._keeper = keeper
        self._notify_status = notify
        self._apply_pending = apply_pending
        self.actor: dict | None = None       # who asked for the control being performed
        self.saved_at = -1e18                # monotonic reading of the last save
        self._performers: dict[type, Callable] = {
            fx.Play: self._play, fx.Crossfade: self._crossfade, fx.QueueNext: self._queue_next,
            fx.Prefetch: self._prefetch, fx.BeginLevel: self._begin_level, fx.PauseAudio: self._pause,
            fx.ResumeAudio: self._resume, fx.StopAudio: self._stop, fx.EmergencyStopAudio: self._emergency_stop,
            fx.ChangeLevel: self._change_level, fx.Record: self._write, fx.OpenLog: self._open_log,
            fx.CloseLog: self._close_log, fx.SaveState: self._save_state, fx.ClearState: self._clear_state,
            fx.RecordExposure: self._record_exposure, fx.ApplyPendingLibrary: self._apply_pending_library,
            fx.Notify: self._notify, fx.RecordFeedback: self._record_feedback}

    def perform(self, effects: list[fx.Effect | None]) -> None:
        """Each effect in order, by its class (None: nothing to do)."""
        for effect in effects:
            if effect is not None:
                self._performers[type(effect)](effect)

    # --- the music -----------------------------------------------------------------------
    def _play(self, e: fx.Play) -> None:
        self._mixer.play(e.source, fade_in_s=e.fade_in_s, after_restart=e.after_restart)

    def _crossfade(self, e: fx.Crossfade) -> None:
        self._mixer.crossfade_to(e.source, crossfade_s=e.crossfade_s)

    def _queue_next(self, e: fx.QueueNext) -> None:
        self._mixer.queue_next(e.source, crossfade_s=e.crossfade_s)

    def _prefetch(self, e: fx.Prefetch) -> None:
        self._mixer.prefetch(list(e.sources))

    def _begin_level(self, e: fx.BeginLevel) -> None:
        self._mixer.begin_level(target_db=e.target_db)

    def _pause(self, e: fx.PauseAudio) -> None:
        self._mixer.pause(fade_s=e.fade_s)

    def _resume(self, e: fx.ResumeAudio) -> None:
        self._mixer.resume(fade_s=e.fade_s)

    def _stop(self, e: fx.StopAudio) -> None:
        self._mixer.stop(fade_s=e.fade_s)

    def _emergency_stop(self, e: fx.EmergencyStopAudio) -> None:
        self._mixer.emergency_stop(fade_s=e.fade_s)

    def _change_level(self, e: fx.ChangeLevel) -> None:
        old = self._mixer.master_db
        new = self._mixer.set_master_db(e.level_db) if e.level_db is not None \
            else self._mixer.step_master_db(e.delta_db or 0.0)
        self.perform(self._machine.level_changed(e.source, e.at_s, old, new))

    # --- records and storage -----------------------------------------------------------------
    def _write(self, e: fx.Record) -> None:
        self._journal.write(e, self.actor)

    def _open_log(self, e: fx.OpenLog) -> None:
        s = self._machine.session
        self._journal.open(e.session_id, None if s is None else s.origin)
        self.disk_news()

    def _close_log(self, e: fx.CloseLog) -> None:
        self._journal.close()
        self.disk_news()

    def _save_state(self, e: fx.SaveState) -> None:
        self.save()
        self.disk_news()

    def save(self) -> None:
        """Save the running session for a restart (also every 30 s and when the engine stops)."""
        self.saved_at = self._clock.monotonic()
        persist.save(self._machine, self._keeper, self._clock, position_s=self._mixer.position_s,
                     master_db=self._mixer.master_target_db)

    def _clear_state(self, e: fx.ClearState) -> None:
        self._keeper.save_state(None)
        self.disk_news()

    def _record_exposure(self, e: fx.RecordExposure) -> None:
        self.perform([self._journal.exposure(self._clock.monotonic(), self._mixer.heard_db, final=True)])
        self.disk_news()

    def _apply_pending_library(self, e: fx.ApplyPendingLibrary) -> None:
        try:
            generation = self._apply_pending()
        except OSError as exc:
            log.error("the deferred USB import could not be made current: %s", exc)
            generation = None
        if generation:
            self._journal.write(fx.Record("library_changed", "usb", self._elapsed(), {"generation": generation}))
        self.disk_news()

    def _record_feedback(self, e: fx.RecordFeedback) -> None:
        """A music-feedback answer, beside its finished session's log (player/engine/feedback_log.py)."""
        record = feedback_record(e, self._clock.wall().isoformat(timespec="milliseconds"), self.actor)
        self._keeper.append_to(feedback_path(self._keeper.data_dir, e.session_id), record)
        self.disk_news()

    def _notify(self, e: fx.Notify) -> None:
        self._notify_status(e.text)

    def disk_news(self) -> None:
        """Tell the core how the disk is doing; it decides whether that is a fault (or one cleared)."""
        self.perform(self._machine.storage(self._keeper.problem, self._keeper.pending, self._clock.monotonic(),
                                          lost=self._keeper.lost, max_pending=self._keeper.max_pending))

    def retry_records(self) -> None:
        """Write the records waiting in memory; once all are out, say so in a record of its own."""
        since = self._keeper.waiting_since
        written = self._keeper.retry()
        if written and not self._keeper.pending:
            self.disk_news()
            self._journal.write(fx.Record("records_recovered", "system", self._elapsed(),
                                          {"count": written, "since": since}))
        self.disk_news()

    def _elapsed(self) -> float:
        return self._machine.elapsed(self._clock.monotonic())
