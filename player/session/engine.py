"""The session engine: the one thread that owns a treatment session, around a pure core.

Everything that can change the session arrives as an item on one queue: staff controls
(`submit`, from the button, socket and web threads), audio-output events (posted by
libVLC's threads), and the engine's own tick. The rules (player/session/rules.py) decide;
this shell performs what they decide, in order: it calls the mixer, writes records through
the `RecordKeeper` (player/session/records.py), saves the resume state, tells systemd, and
hands each record to the listeners.

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

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from player.audio.api import OutputEvent
from player.audio.exposure import ExposureMeter
from player.clock import Clock
from player.config import Config
from player.core.cap import cap_db
from player.errors import PlaylistInvalid, SessionRefused
from player.playlist.model import Playlist
from player.session.control import STATUS_KEYS, Listener, Listeners, check_control
from player.session.eventlog import SESSIONS_DIR
from player.session.events import check_record
from player.session.records import RecordKeeper
from player.session.resume import ClockReadings, downtime, parse_saved, to_saved
from player.session.rules import Audio, Effect, MixerView, Notify, Record, SessionRules, Storage, Volume

log = logging.getLogger(__name__)

TICK_S = 0.02
MAX_IDLE_S = 0.5   # the longest the loop sleeps: staff controls wake it at once anyway
SAVE_EVERY_S = 30.0   # besides every control and track change; a restart adds the downtime to what was saved
EXPOSURE_EVERY_S = 300.0
RETRY_EVERY_S = 5.0
PUBLISH_EVERY_S = 1.0
STORAGE_FAULT = "session records cannot be saved: "
#: Followed by how many: records dropped because more waited for the disk than memory keeps.
LOST_FAULT = "session records lost while the disk refused writes: "


class Notifier:
    """What the player tells the service manager; the default does nothing (see player/systemd.py)."""

    def ready(self) -> None: ...

    def status(self, text: str) -> None: ...

    def watchdog(self) -> None: ...


@dataclass
class _Command:
    action: str
    source: str
    args: dict
    actor: dict | None
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None
    error: BaseException | None = None
    _state: str = "queued"                 # queued -> taken (engine) | dropped (too late)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        """The engine's turn: True to apply it, False when its caller has given up (or will)."""
        with self._lock:
            if self._state == "queued" and time.monotonic() <= self.deadline:
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
class _Sync:
    done: threading.Event = field(default_factory=threading.Event)


_STOP = object()


def session_dir_name(wall: datetime, room: str) -> str:
    """``20260101-090000-room-3``: sortable, readable, no patient data (room is the only identity)."""
    slug = re.sub(r"[^a-z0-9]+", "-", room.lower()).strip("-")[:40] or "room"
    return f"{wall:%Y%m%d-%H%M%S}-{slug}"


class SessionEngine:
    """Runs sessions; implements the `Controller` protocol for the edges.

    Args:
        config: the daemon's configuration.
        mixer: a `player.audio.mixer.Mixer`, used only from the engine thread.
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
        self._apply_pending = apply_pending_library or (lambda: None)
        self._rules = SessionRules(config)
        self._keeper = records or RecordKeeper(config.data_dir)
        self._lost_recorded = 0                # keeper.lost when its fault was last recorded
        self._queue: queue.Queue = queue.Queue()
        self._listeners = Listeners()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._snapshot: dict = {}
        self._seq = 0
        self._log_session: str | None = None   # whose log records go to (the rules may have moved on)
        self._meter = ExposureMeter()
        self._metered_at: float | None = None
        self._exposure_origin = 0.0
        self._last = {"save": -1e18, "retry": -1e18, "publish": -1e18, "watchdog": -1e18, "exposure": -1e18}

    def __repr__(self) -> str:
        return f"<SessionEngine {self._rules.state} {self._rules.session.id if self._rules.session else ''}>"

    # --- the Controller protocol (any thread) -------------------------------------------

    def submit(self, action: str, *, source: str, timeout_s: float = 10.0, actor: dict | None = None,
               **args: object) -> dict:
        """Queue a control and wait for it (see `player.session.control.Controller`).

        Raises:
            SessionRefused, TimeoutError (it was not applied), RuntimeError (called from the engine thread).
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("submit() from the engine thread (a listener) would wait for itself; "
                               "listeners must only hand the record on")
        deadline = time.monotonic() + timeout_s
        checked = check_control(action, source, args, self.config.session.observation_kinds)
        if not self.is_running:
            raise SessionRefused("the session engine is not running")
        if action in ("start", "load"):
            checked = self._prepare_playlist(checked)
        cmd = _Command(action, source, checked, actor, deadline)
        self._queue.put(cmd)
        if not cmd.done.wait(max(0.0, deadline - time.monotonic())) and cmd.give_up():
            raise TimeoutError(f"the session engine did not answer {action!r} within {timeout_s:g} s; "
                               "it was not applied")
        cmd.done.wait()
        if cmd.error is not None:
            raise cmd.error
        return cmd.result  # type: ignore[return-value]

    def _prepare_playlist(self, args: dict) -> dict:
        """Load and validate the playlist in the caller's thread (the engine never reads files for a caller)."""
        name = args.get("playlist")
        if name is None and self.config.session.default_playlist is not None:
            name = str(self.config.session.default_playlist)
            args = {**args, "default": True}
        if name is None:
            return args
        try:
            # Resolved, so a restart resumes from the same library generation after a USB import.
            playlist = self._load_playlist(Path(name).resolve())
        except PlaylistInvalid as exc:
            shown = "\n  ".join(map(str, exc.diagnostics[:10])) or str(exc)
            raise SessionRefused(f"playlist {name} is not valid:\n  {shown}") from None
        except OSError as exc:
            raise SessionRefused(f"cannot read playlist {name}: {exc.strerror or exc}") from None
        return {**args, "playlist": playlist}

    def status(self) -> dict:
        with self._lock:
            return dict(self._snapshot)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    def sync(self, timeout_s: float = 10.0) -> bool:
        """Wait until the engine has run a full tick after this call (tests, after moving a fake clock)."""
        item = _Sync()
        self._queue.put(item)
        return item.done.wait(timeout_s)

    # --- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Open the audio, restore a session cut short by a crash or power loss, start the thread."""
        if self._thread is not None:
            return
        self._mixer.open(self._queue.put)
        self._keeper.keep_reserve()
        self._guarded(self._restore)
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
                    self._guarded(self._save)
                    self._guarded(self._fade_before_exit)
                    return
                if isinstance(item, _Sync):
                    syncs.append(item)
                elif isinstance(item, _Command):
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
                self._rules.add_fault(f"internal error: {exc}", self._elapsed())
                self._perform(self._rules.take_effects())
            except Exception:  # noqa: BLE001 - even the fault could not be shown: it is in the journal
                log.exception("could not record the internal error")

    def _on_command(self, cmd: _Command) -> None:
        if not cmd.take():
            cmd.error = TimeoutError(f"{cmd.action} came too late to the session engine; it was not applied")
            cmd.done.set()
            return
        try:
            args = dict(cmd.args)
            if cmd.action == "start":
                args["session_id"] = self._new_session_id()
            if args.pop("default", False) and self._rules.ready is not None and cmd.action == "start":
                args.pop("playlist", None)        # a loaded playlist goes before the configured default
            self._perform(self._rules.command(cmd.action, cmd.source, args, self._clock.monotonic(), self._view()),
                          actor=cmd.actor)
        except SessionRefused as exc:
            cmd.error = exc
        except Exception as exc:  # noqa: BLE001 - answer the caller, keep running
            log.exception("control %s failed", cmd.action)
            cmd.error = SessionRefused(f"{cmd.action} failed: {exc}")
        finally:
            self._publish()
            cmd.result = self.status()
            cmd.done.set()

    def _on_mixer_events(self, events) -> None:
        for ev in events:
            self._perform(self._rules.heard(ev, self._clock.monotonic(), self._view()))

    def _tick(self) -> None:
        self._on_mixer_events(self._mixer.tick())
        now = self._clock.monotonic()
        self._perform(self._rules.tick(now, self._view()))
        self._measure_exposure(now)
        mono = time.monotonic()
        if (self._keeper.pending or self._keeper.problem) and mono - self._last["retry"] >= RETRY_EVERY_S:
            self._last["retry"] = mono
            self._retry_records()
        if self._rules.session is not None and now - self._last["save"] >= SAVE_EVERY_S:
            self._save()
        if mono - self._last["watchdog"] >= 1.0:
            self._last["watchdog"] = mono
            self._notifier.watchdog()
        if mono - self._last["publish"] >= PUBLISH_EVERY_S or self._mixer.idle_s < MAX_IDLE_S:
            self._publish()

    def _idle_s(self) -> float:
        """How long the loop may sleep: every tick while fades move, else until the next thing due."""
        wait = min(MAX_IDLE_S, self._mixer.idle_s)
        due = self._rules.next_due_s(self._clock.monotonic())
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

    # --- performing what the rules decided -------------------------------------------------

    def _view(self) -> MixerView:
        current = self._mixer.current
        return MixerView(None if current is None else current.token, self._mixer.position_s,
                         not self._mixer.is_silent)

    def _perform(self, effects: list[Effect], actor: dict | None = None) -> None:
        for fx in effects:
            if isinstance(fx, Record):
                self._write(fx, actor)
            elif isinstance(fx, Audio):
                getattr(self._mixer, fx.call)(**fx.kwargs)
            elif isinstance(fx, Volume):
                old = self._mixer.master_db
                new = self._mixer.set_master_db(fx.level_db) if fx.level_db is not None \
                    else self._mixer.step_master_db(fx.delta_db or 0.0)
                self._rules.volume_set(new)
                self._write(Record("volume_changed", fx.source, fx.at_s,
                                   {"from_db": round(old, 2), "to_db": round(new, 2)}), actor)
            elif isinstance(fx, Storage):
                self._storage(fx)
            elif isinstance(fx, Notify):
                self._notifier.status(fx.text)

    def _storage(self, fx: Storage) -> None:
        if fx.what == "open_log":
            opened = self._keeper.open_session(fx.session_id or "")
            self._seq, self._log_session = opened.seq, fx.session_id
            self._meter = ExposureMeter()
            if opened.exposure:
                self._meter.restore(opened.exposure)
            self._metered_at = self._last["exposure"] = self._clock.monotonic()
            self._exposure_origin = self._rules.session.origin if self._rules.session else self._metered_at
        elif fx.what == "exposure":
            self._measure_exposure(self._clock.monotonic(), record=True)
        elif fx.what == "close_log":
            self._keeper.close_session()
            self._seq, self._log_session = 0, None
        elif fx.what == "save":
            self._save()
        elif fx.what == "clear":
            self._keeper.save_state(None)
        elif fx.what == "apply_pending_library":
            try:
                generation = self._apply_pending()
            except OSError as exc:
                log.error("the deferred USB import could not be made current: %s", exc)
                generation = None
            if generation:
                self._write(Record("library_changed", "usb", self._elapsed(), {"generation": generation}), None)
        self._storage_fault()

    def _write(self, fx: Record, actor: dict | None) -> None:
        """One record: numbered, stamped, on the disk (or waiting), to the listeners."""
        check_record(fx.type, fx.source, fx.details)
        self._seq += 1
        record = {"seq": self._seq, "time": self._clock.wall().isoformat(timespec="milliseconds"),
                  "elapsed_s": round(fx.at_s, 3), "type": fx.type, "source": fx.source, "details": fx.details,
                  "session_id": self._log_session}
        if actor and fx.source != "system":
            record["actor"] = actor
        self._keeper.write(record)
        self._storage_fault()
        self._publish()  # a listener that reads status() sees the state this record leaves
        self._listeners.deliver(record)

    def _measure_exposure(self, now: float, *, record: bool = False) -> None:
        """Integrate the level heard (player/audio/exposure.py); a record every 5 min and at the end."""
        if self._log_session is None:
            return
        if self._metered_at is not None:
            self._meter.add(now - self._metered_at, self._mixer.heard_db)
        self._metered_at = now
        if record or now - self._last["exposure"] >= EXPOSURE_EVERY_S:
            self._last["exposure"] = now
            details = {**self._meter.summary(self.config.volume.calibration_dba_at_0db),
                       **{k: round(v, 6) for k, v in self._meter.integrals().items() if k != "seconds"}}
            self._write(Record("exposure", "system", round(now - self._exposure_origin, 3), details), None)

    def _storage_fault(self) -> None:
        """Show the keeper's problem as a fault (and clear it once everything waiting is written)."""
        problem = self._keeper.problem
        shown = next((f for f in self._rules.faults if f.startswith(STORAGE_FAULT)), None)
        if problem and shown is None:
            self._rules.add_fault(STORAGE_FAULT + problem, self._elapsed())
            self._perform(self._rules.take_effects())
        elif not problem and shown is not None and not self._keeper.pending:
            self._rules.clear_fault(shown, self._elapsed())
            self._perform(self._rules.take_effects())
        lost = self._keeper.lost
        if lost != self._lost_recorded and not self._keeper.pending:
            # Everything kept is on the disk: record, once, how many records could not be kept.
            self._lost_recorded = lost
            for old in [f for f in self._rules.faults if f.startswith(LOST_FAULT)]:
                self._rules.clear_fault(old, self._elapsed())
            self._rules.add_fault(self._lost_fault(lost), self._elapsed())
            self._perform(self._rules.take_effects())

    def _lost_fault(self, lost: int) -> str:
        return f"{LOST_FAULT}{lost} (more than {self._keeper.max_pending} waited)"

    def _retry_records(self) -> None:
        since = self._keeper.waiting_since
        written = self._keeper.retry()
        if written and not self._keeper.pending:
            self._storage_fault()
            self._write(Record("records_recovered", "system", self._elapsed(),
                               {"count": written, "since": since}), None)
        self._storage_fault()

    def _elapsed(self) -> float:
        return self._rules.elapsed(self._clock.monotonic())

    def _new_session_id(self) -> str:
        root = self.config.data_dir / SESSIONS_DIR
        base = session_dir_name(self._clock.wall(), self.config.room)
        sid, n = base, 1
        while (root / sid).exists():
            n += 1
            sid = f"{base}-{n}"
        return sid

    # --- status, saving, restoring ----------------------------------------------------------

    def _publish(self) -> None:
        now = self._clock.monotonic()
        self._last["publish"] = time.monotonic()
        snap = dict.fromkeys(STATUS_KEYS)
        snap.update(self._rules.snapshot(now))
        if self._keeper.lost != self._lost_recorded:    # staff see it at once; it is recorded once the disk takes it
            snap["faults"] = [f for f in snap["faults"] if not f.startswith(LOST_FAULT)] \
                + [self._lost_fault(self._keeper.lost)]
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
        snap["records_pending"] = self._keeper.pending
        with self._lock:
            self._snapshot = snap

    def _clocks(self) -> ClockReadings:
        return ClockReadings(self._clock.wall(), self._clock.boottime(), self._clock.boot_id())

    def _save(self) -> None:
        s = self._rules.session
        if s is None:
            return
        now = self._clock.monotonic()
        self._last["save"] = now
        self._keeper.save_state(to_saved(
            state=self._rules.state, session_id=s.id, playlist_path=str(s.playlist.path), timeline=s.timeline,
            elapsed_s=self._rules.elapsed(now), clocks=self._clocks(), track_index=s.cursor.track_index,
            position_s=self._mixer.position_s, master_db=self._mixer.master_target_db, fading_out=s.fading_out,
            checkpoints=s.checkpoints.to_dict(),
            calmer=None if s.calmer is None else s.calmer.to_saved()))

    def _restore(self) -> None:
        """A session cut short by a crash or power cut: take it up again (player/session/resume.py)."""
        try:
            saved = parse_saved(self._keeper.load_state())
        except ValueError as exc:
            log.error("cannot resume the saved session (%s); starting idle", exc)
            self._keeper.save_state(None)
            return
        if saved is None:
            return
        try:
            playlist = self._load_to_resume(Path(saved.playlist_path))
        except (PlaylistInvalid, OSError) as exc:
            log.error("cannot resume session %s: its playlist %s cannot be loaded (%s); starting idle",
                      saved.session_id, saved.playlist_path, exc)
            self._keeper.save_state(None)
            return
        missing = self._keeper.open_session(saved.session_id).missing
        down = downtime(saved, self._clocks(), saved.timeline.projected_end_s(saved.elapsed_s))
        if not down.plausible:
            log.warning("restart of %s: %s; resuming paused for staff", saved.session_id, down.note)
        try:
            effects = self._rules.restore(saved, playlist, self._clock.monotonic(), down, log_missing=missing)
        except ValueError as exc:
            log.error("cannot resume session %s (%s); starting idle", saved.session_id, exc)
            self._keeper.close_session()
            self._keeper.save_state(None)
            return
        self._perform(effects)
