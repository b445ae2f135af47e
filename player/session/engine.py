"""The session engine: the one thread that owns a treatment session.

Everything that can change the session arrives as an item on one queue: staff controls
(`submit`, from the button, socket and web threads), audio-output events (posted by
libVLC's threads through the mixer's output), and the engine's own tick (every 20 ms
while a fade moves, up to 250 ms in steady playback), which drives fades, checks phase
boundaries on the monotonic clock, saves state and pings the systemd watchdog. Nothing
else touches the mixer, the timeline or the log.

A control is answered only after its event is fsync'd in the session log, so an
acknowledged action survives a power cut. After a crash or power cut, `start()` restores
the saved session: same phase, same track and position, the downtime handled by
``session.resume_policy`` (continue the clock, or pause for staff), always from silence.
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

from player.audio.api import MixerEvent, OutputEvent, Source
from player.clock import Clock
from player.config import Config
from player.errors import PlaylistInvalid, SessionRefused
from player.playlist.model import Phase, Playlist, Track
from player.playlist.plan import tracks_for_phase
from player.session.control import STATUS_KEYS, Listener, Listeners, check_control
from player.session.eventlog import EventLog, read_events
from player.session.report import EVENTS_FILE, SESSIONS_DIR
from player.session.statefile import STATE_FILE, StateFile
from player.session.states import is_active, next_state, refusal
from player.session.timeline import Timeline

log = logging.getLogger(__name__)

TICK_S = 0.02
MAX_IDLE_S = 0.5   # the longest the loop sleeps: staff controls wake it at once anyway
PAUSE_FADE_S = 3.0
STOP_FADE_S = 3.0
EMERGENCY_FADE_S = 0.5
SAVE_EVERY_S = 5.0


class Notifier:
    """What the player tells the service manager; the default does nothing (see player/systemd.py).

    The daemon says ready once every part is up; the engine loop sends the phase and the
    watchdog pings, so a hung loop stops the pings and systemd restarts the player.
    """

    def ready(self) -> None: ...

    def status(self, text: str) -> None: ...

    def watchdog(self) -> None: ...


@dataclass
class _Reply:
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None
    error: BaseException | None = None


@dataclass
class _Command:
    action: str
    source: str
    args: dict
    reply: _Reply


@dataclass
class _Sync:
    done: threading.Event = field(default_factory=threading.Event)


_STOP = object()


@dataclass
class _Session:
    """The running session's own data; only the engine thread reads or writes it."""

    id: str
    playlist: Playlist
    log: EventLog
    origin: float  # monotonic reading at session time 0
    timeline: Timeline
    seq: int = 0
    track_index: int = 0          # the turn (in the phase's play order) of the track heard now
    handed_turn: int = 0          # the last turn handed to the mixer (failures move past it)
    failures_in_row: int = 0
    tokens: dict[int, tuple[int, int, bool]] = field(default_factory=dict)  # token -> (phase, turn, fallback)
    last_good: Track | None = None  # the last track heard: a phase whose every track fails falls back to it
    retry_at: float | None = None   # every fallback failed too: ask again at this session time
    retry_s: float = 1.0
    fading_out: bool = False
    last_save: float = -1e18
    resume_position_s: float | None = None  # restored paused: where the music picks up on resume
    finishing: bool = False  # the phase's time is up; its finish_track track is playing out

    @property
    def phase(self) -> Phase:
        return self.playlist.phases[self.timeline.index]


def session_dir_name(wall: datetime, room: str) -> str:
    """``20260101-090000-room-3``: sortable, readable, no patient data (room is the only identity)."""
    slug = re.sub(r"[^a-z0-9]+", "-", room.lower()).strip("-")[:40] or "room"
    return f"{wall:%Y%m%d-%H%M%S}-{slug}"


class SessionEngine:
    """Runs sessions; implements the `Controller` protocol for the edges.

    Args:
        config: the daemon's configuration.
        mixer: a `player.audio.mixer.Mixer` (or anything with its API), used only here.
        clock: monotonic time for phases, wall time for records.
        load_playlist: validates a playlist file (raises PlaylistInvalid).
        notifier: told when ready, the phase, and watchdog pings.
    """

    def __init__(self, config: Config, mixer, clock: Clock, *, load_playlist: Callable[[Path], Playlist],
                 notifier: Notifier | None = None, tick_s: float = TICK_S) -> None:
        self.config = config
        self._mixer = mixer
        self._clock = clock
        self._load_playlist = load_playlist
        self._notifier = notifier or Notifier()
        self._tick_s = tick_s
        self._queue: queue.Queue = queue.Queue()
        self._listeners = Listeners()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._state = "idle"
        self._session: _Session | None = None
        self._ready_playlist: Playlist | None = None
        self._preset_db: float | None = None  # a level set before the session started (else default_db)
        self._next_token = 0
        self._faults: list[str] = []
        self._snapshot: dict = {}
        self._state_file = StateFile(config.data_dir / STATE_FILE)
        self._last_watchdog = -1e18
        self._last_status_line = ""

    # --- the Controller protocol (any thread) -------------------------------------------

    def submit(self, action: str, *, source: str, timeout_s: float = 10.0, **args: object) -> dict:
        checked = check_control(action, source, args)
        if self._thread is None or not self._thread.is_alive():
            raise SessionRefused("the session engine is not running")
        reply = _Reply()
        self._queue.put(_Command(action, source, checked, reply))
        if not reply.done.wait(timeout_s):
            raise TimeoutError(f"the session engine did not answer {action!r} within {timeout_s:g} s")
        if reply.error is not None:
            raise reply.error
        return reply.result  # type: ignore[return-value]

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
        self._restore()
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
        if self._session is not None:
            self._session.log.close()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the engine thread -------------------------------------------------------------

    def _run(self) -> None:
        next_tick = self._clock_now()
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, next_tick - self._clock_now()))
            except queue.Empty:
                item = None
            syncs = []
            while item is not None:
                if item is _STOP:
                    self._save()
                    self._fade_before_exit()
                    return
                if isinstance(item, _Sync):
                    syncs.append(item)
                else:
                    self._handle(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            now = self._clock_now()
            if syncs or now >= next_tick:
                self._guarded(self._tick)
                next_tick = now + self._idle_s()
            for s in syncs:
                s.done.set()

    def _fade_before_exit(self) -> None:
        """The player is stopping (service stop, update) while music plays: ramp it down, never cut it.

        The saved session stays as it was, so the next start resumes it from silence.
        """
        if self._mixer.is_silent:
            return
        self._mixer.emergency_stop(fade_s=EMERGENCY_FADE_S)
        deadline = time.monotonic() + EMERGENCY_FADE_S + self.config.audio.latency_s + 1.0
        while self._mixer.mode != "silent" and time.monotonic() < deadline:   # until the fade was heard
            self._mixer.tick()
            time.sleep(self._tick_s)

    def _idle_s(self) -> float:
        """How long the loop may sleep: every tick while fades move, else until the next thing due.

        The mixer knows when its next volume step or crossfade is due (it allows up to 250 ms
        of steady playback); the session adds its next phase boundary and final fade-out.
        """
        wait = min(MAX_IDLE_S, self._mixer.idle_s)
        s = self._session
        if s is not None and self._state in ("playing", "faulted"):
            now = self._elapsed()
            due = [s.timeline.phase_end_s - now]
            if s.timeline.is_last and s.phase.fade_out_s and not s.fading_out:
                due.append(s.timeline.phase_end_s - s.phase.fade_out_s - now)
            wait = min([wait, *(d for d in due if d > 0)])
        return max(self._tick_s, wait)

    @staticmethod
    def _clock_now() -> float:
        return time.monotonic()  # pacing of ticks only; session time comes from self._clock

    def _guarded(self, fn: Callable[[], None]) -> None:
        """Run a step; an unexpected error is logged as a fault, never kills the thread."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the engine must survive its own bugs
            log.exception("session engine step failed")
            self._add_fault(f"internal error: {exc}")
        finally:
            self._publish()

    def _handle(self, item: object) -> None:
        if isinstance(item, _Command):
            self._on_command(item)
        elif isinstance(item, OutputEvent):
            self._guarded(lambda: self._on_mixer_events(self._mixer.handle(item)))

    def _on_command(self, cmd: _Command) -> None:
        try:
            new_state = next_state(self._state, cmd.action)
            if new_state is None:
                raise SessionRefused(refusal(self._state, cmd.action))
            getattr(self, f"_do_{cmd.action}")(cmd.source, **cmd.args)
            self._save()
        except SessionRefused as exc:
            cmd.reply.error = exc
        except Exception as exc:  # noqa: BLE001 - answer the caller, keep running
            log.exception("control %s failed", cmd.action)
            cmd.reply.error = SessionRefused(f"{cmd.action} failed: {exc}")
        finally:
            self._publish()
            cmd.reply.result = self.status()
            cmd.reply.done.set()

    def _tick(self) -> None:
        self._on_mixer_events(self._mixer.tick())
        s = self._session
        if s is not None and self._state in ("playing", "faulted"):
            now = self._elapsed()
            self._cross_boundaries(now)
            self._retry_music(now)
            s = self._session
            if s is not None and s.timeline.is_last and not s.fading_out:
                fade = s.phase.fade_out_s
                if fade and now >= s.timeline.phase_end_s - fade:
                    s.fading_out = True
                    self._mixer.stop(fade_s=max(0.1, s.timeline.phase_end_s - now))
        if self._session is not None and self._clock.monotonic() - self._session.last_save >= SAVE_EVERY_S:
            self._save()
        mono = self._clock_now()
        if mono - self._last_watchdog >= 1.0:
            self._last_watchdog = mono
            self._notifier.watchdog()

    # --- session time and records ------------------------------------------------------

    def _elapsed(self) -> float:
        s = self._session
        return 0.0 if s is None else self._clock.monotonic() - s.origin

    def _emit(self, type_: str, source: str = "system", at_s: float | None = None, **details: object) -> dict:
        """Write one event record (fsync'd) and hand it to the subscribers."""
        s = self._session
        record = {"seq": 0, "time": self._clock.wall().isoformat(timespec="milliseconds"),
                  "elapsed_s": round(self._elapsed() if at_s is None else at_s, 3), "type": type_,
                  "source": source, "details": details, "session_id": s.id if s else None}
        if s is not None:
            s.seq += 1
            record["seq"] = s.seq
            s.log.append(record)
        self._publish()  # a listener that reads status() sees the state this record leaves
        self._listeners.deliver(record)
        return record

    def _set_state(self, new: str, *, old: str | None = None) -> None:
        """Record a state change (as the system's: the staff action that caused it has its own record).

        `old` is given when the state was already switched, so that another record said it first.
        """
        old = self._state if old is None else old
        if new != old:
            self._state = new
            if self._session is not None:
                self._emit("state_changed", **{"from": old, "to": new})

    def _add_fault(self, message: str) -> None:
        if message not in self._faults:
            self._faults.append(message)
            self._emit("fault", message=message)

    def _clear_fault(self, message: str) -> None:
        if message in self._faults:
            self._faults.remove(message)
            self._emit("fault_cleared", message=message)

    # --- tracks ------------------------------------------------------------------------

    @staticmethod
    def _track_at(phase: Phase, turn: int) -> Track | None:
        """The phase's `turn`-th track to play (looping, or None past the end with on_short: silence)."""
        upcoming = next(tracks_for_phase(phase, start_turn=turn), None)
        return None if upcoming is None else upcoming.track

    def _track_name(self, track: Track | None) -> str | None:
        if track is None or self._session is None:
            return None
        try:
            return str(track.path.relative_to(self._session.playlist.path.parent))
        except ValueError:
            return track.path.name

    def _source(self, track: Track, turn: int, *, phase_index: int | None = None, start_s: float = 0.0,
                fallback: bool = False) -> Source:
        """The mixer's view of one play of `track`; its token tells the engine which turn it was."""
        s = self._session
        assert s is not None
        self._next_token += 1
        s.tokens[self._next_token] = (s.timeline.index if phase_index is None else phase_index, turn, fallback)
        return Source(track.path, self._next_token, track.gain_db, track.duration_s, start_s)

    def _start_phase_music(self, *, fade_in_s: float | None = None, start_s: float = 0.0,
                           crossfade_s: float | None = None) -> None:
        """Play the current track: from silence (`fade_in_s`), else crossfading (default: the phase's)."""
        s = self._session
        assert s is not None
        track = self._track_at(s.phase, s.track_index)
        s.handed_turn, s.failures_in_row, s.retry_at = s.track_index, 0, None
        crossfade_s = s.phase.crossfade_s if crossfade_s is None else crossfade_s
        if track is None:
            self._mixer.stop(fade_s=crossfade_s or STOP_FADE_S)
        elif fade_in_s is not None:
            self._mixer.play(self._source(track, s.track_index, start_s=start_s), fade_in_s=fade_in_s)
        else:
            self._mixer.crossfade_to(self._source(track, s.track_index, start_s=start_s), crossfade_s=crossfade_s)

    def _prefetch(self, playlist: Playlist) -> None:
        """Have every track's loudness measured ahead, in play order (nothing is heard at a guessed level)."""
        self._mixer.prefetch(Source(track.path) for phase in playlist.phases for track in phase.tracks)

    def _on_mixer_events(self, events: list[MixerEvent]) -> None:
        for ev in events:
            getattr(self, f"_on_{ev.kind}")(ev)

    def _on_track_started(self, ev: MixerEvent) -> None:
        s = self._session
        if s is None:
            return
        phase_index, turn, fallback = s.tokens.get(ev.token, (s.timeline.index, s.track_index, False))
        if s.finishing and s.timeline.due(self._elapsed()) and phase_index == s.timeline.index + 1:
            s.finishing = False  # the finished track handed over: the next phase begins now
            self._enter_phase(self._elapsed(), music=False)
        s.failures_in_row, s.retry_at, s.retry_s = 0, None, 1.0
        s.last_good = Track(ev.path, ev.source.trim_db, ev.source.duration_s)
        if phase_index == s.timeline.index and not fallback:
            s.track_index = turn
            for fault in [f for f in self._faults if f.startswith("no playable track in phase ")]:
                self._clear_fault(fault)
        self._emit("track_started", phase=s.phase.name, file=self._track_name(Track(ev.path)))

    def _on_track_ended(self, ev: MixerEvent) -> None:
        s = self._session
        if s is None:
            return
        self._emit("track_ended", file=self._track_name(Track(ev.path)))
        if s.finishing and self._mixer.current is None:  # it ended with nothing after it
            s.finishing = False
            self._enter_phase(self._elapsed(), music=self._state == "playing")

    def _on_track_failed(self, ev: MixerEvent) -> None:
        s = self._session
        if s is None:
            return
        s.failures_in_row += 1
        reason = str(ev.detail.get("reason", "could not be played"))
        self._emit("track_skipped", file=self._track_name(Track(ev.path)), reason=reason)
        if s.failures_in_row == len(s.phase.tracks):
            self._add_fault(f"no playable track in phase {s.phase.name}")

    def _on_needs_track(self, ev: MixerEvent) -> None:
        s = self._session
        if s is None or not is_active(self._state):
            return
        if s.fading_out:
            self._mixer.queue_next(None, crossfade_s=s.phase.crossfade_s)
            return
        if s.finishing:
            self._queue_next_phase()
            return
        source = self._following_source()
        if source is None and s.failures_in_row >= len(s.phase.tracks):
            s.retry_at = self._elapsed() + s.retry_s   # every fallback failed too: try again, less often
            s.retry_s = min(30.0, s.retry_s * 2)
            return
        if ev.detail.get("now") and source is not None:
            self._mixer.crossfade_to(source, crossfade_s=s.phase.crossfade_s)
        else:
            self._mixer.queue_next(source, crossfade_s=s.phase.crossfade_s)

    def _following_source(self) -> Source | None:
        """What plays after the last track handed out: the phase's next turn, moving past failures.

        When every track of the phase failed in a row, the music falls back to the last track
        heard, then to the later phases' tracks, so the patient is never left in silence.
        """
        s = self._session
        assert s is not None
        n = len(s.phase.tracks)
        if s.failures_in_row < n:
            s.handed_turn += 1
            track = self._track_at(s.phase, s.handed_turn)
            return None if track is None else self._source(track, s.handed_turn)
        fallbacks = ([(s.last_good, s.timeline.index, s.track_index)] if s.last_good is not None else []) + [
            (t, i, turn) for i in range(s.timeline.index + 1, len(s.playlist.phases))
            for turn, t in enumerate(s.playlist.phases[i].tracks)]
        k = s.failures_in_row - n
        if k >= len(fallbacks):
            return None
        track, phase_index, turn = fallbacks[k]
        return self._source(track, turn, phase_index=phase_index, fallback=True)

    def _retry_music(self, now: float) -> None:
        """After a pause of `retry_s`, try the phase's tracks again from its next turn."""
        s = self._session
        if s is None or s.retry_at is None or now < s.retry_at or self._state != "playing":
            return
        s.retry_at, s.failures_in_row = None, 0
        source = self._following_source()
        if source is not None:
            self._mixer.crossfade_to(source, crossfade_s=s.phase.crossfade_s)

    def _on_fade_finished(self, ev: MixerEvent) -> None:
        pass  # the state changed when the fade began; nothing waits for its end

    def _on_device_lost(self, ev: MixerEvent) -> None:
        message = f"audio device lost: {self.config.audio.device}"
        if self._session is not None and next_state(self._state, "device_lost"):
            self._set_state(next_state(self._state, "device_lost"))
        self._add_fault(message)

    def _on_device_restored(self, ev: MixerEvent) -> None:
        if self._session is not None and next_state(self._state, "device_restored"):
            self._set_state(next_state(self._state, "device_restored"))
        self._clear_fault(f"audio device lost: {self.config.audio.device}")

    # --- phases ------------------------------------------------------------------------

    def _enter_phase(self, at_s: float, *, music: bool) -> None:
        s = self._session
        assert s is not None
        old = s.timeline
        self._emit("phase_ended", at_s=at_s, phase=old.phase, index=old.index)
        s.timeline = old.next_phase(at_s)
        s.track_index, s.fading_out, s.finishing = 0, False, False
        self._emit_phase_started(at_s)
        if music:
            self._start_phase_music()

    def _emit_phase_started(self, at_s: float) -> None:
        s = self._session
        assert s is not None
        tl = s.timeline
        self._emit("phase_started", at_s=at_s, phase=tl.phase, index=tl.index,
                   planned_start_s=tl.phase_start_s, planned_end_s=tl.phase_end_s)
        self._notifier.status(f"{self.config.room}: {tl.phase} (phase {tl.index + 1}/{len(tl.names)})")

    def _queue_next_phase(self) -> None:
        """`finish_track`: the playing track plays out, then crossfades into the next phase's music."""
        s = self._session
        assert s is not None
        first = self._track_at(s.playlist.phases[s.timeline.index + 1], 0)
        source = None if first is None else self._source(first, 0, phase_index=s.timeline.index + 1)
        self._mixer.queue_next(source, crossfade_s=s.phase.crossfade_s)

    def _cross_boundaries(self, now: float, *, music: bool = True) -> None:
        """End every phase whose time is up, at its exact end time; crossfade once into the last one reached.

        A phase with ``finish_track`` whose track still plays is not ended here: its track is
        let play out and the next phase begins when the next phase's music takes over.
        """
        s = self._session
        crossfade_s = None
        while s is not None and s.timeline.due(now):
            at = s.timeline.phase_end_s
            if s.timeline.is_last:
                self._emit("phase_ended", at_s=at, phase=s.timeline.phase, index=s.timeline.index)
                self._end_session("completed", "system", at_s=at)
                return
            if s.phase.finish_track and music and self._mixer.current is not None:
                if not s.finishing:
                    s.finishing = True
                    self._queue_next_phase()
                return
            crossfade_s = s.phase.crossfade_s  # the ending phase's crossfade carries into the next
            self._enter_phase(at, music=False)
        if crossfade_s is not None and music and self._state == "playing":
            self._start_phase_music(crossfade_s=crossfade_s)

    # --- controls (engine thread) ------------------------------------------------------

    def _resolve_playlist(self, playlist: str | None) -> Playlist:
        if playlist is None:
            if self._ready_playlist is not None:
                return self._ready_playlist
            if self.config.session.default_playlist is None:
                raise SessionRefused("no playlist given and session.default_playlist is not set in the config")
            playlist = str(self.config.session.default_playlist)
        try:
            # Resolved, so a restart resumes from the same library generation after a USB import.
            return self._load_playlist(Path(playlist).resolve())
        except PlaylistInvalid as exc:
            shown = "\n  ".join(map(str, exc.diagnostics[:10])) or str(exc)
            raise SessionRefused(f"playlist {playlist} is not valid:\n  {shown}") from None
        except OSError as exc:
            raise SessionRefused(f"cannot read playlist {playlist}: {exc.strerror or exc}") from None

    def _do_load(self, source: str, playlist: str | None = None) -> None:
        self._ready_playlist = self._resolve_playlist(playlist)
        self._prefetch(self._ready_playlist)
        self._state = "ready"

    def _do_start(self, source: str, playlist: str | None = None) -> None:
        pl = self._resolve_playlist(playlist) if playlist is not None or self._ready_playlist is None \
            else self._ready_playlist
        self._ready_playlist = None
        wall = self._clock.wall()
        root = self.config.data_dir / SESSIONS_DIR
        base = session_dir_name(wall, self.config.room)
        sid, n = base, 1
        while (root / sid).exists():
            n += 1
            sid = f"{base}-{n}"
        tl = Timeline.start(tuple(p.name for p in pl.phases), tuple(p.duration_s for p in pl.phases))
        self._faults = [f for f in self._faults if f.startswith("audio device")]
        self._session = _Session(sid, pl, EventLog(root / sid / EVENTS_FILE), self._clock.monotonic(), tl)
        self._prefetch(pl)
        self._mixer.begin_level(self._preset_db)   # every session starts low, whatever the last one ended at
        v = self.config.volume
        planned = [{"name": n, "planned_start_s": a, "planned_end_s": b}
                   for n, (a, b) in zip(tl.names, tl.planned(), strict=True)]
        self._emit("session_started", source, at_s=0.0, playlist=pl.name, playlist_path=str(pl.path),
                   room=self.config.room, max_db=v.max_db, start_db=v.start_db,
                   default_db=self._mixer.master_target_db,
                   resume_policy=self.config.session.resume_policy, phases=planned)
        self._set_state("playing")
        self._emit_phase_started(0.0)
        fade_in = pl.phases[0].fade_in_s if pl.phases[0].fade_in_s is not None else v.fade_in_s
        self._start_phase_music(fade_in_s=fade_in)

    def _do_pause(self, source: str) -> None:
        s = self._session
        assert s is not None
        self._mixer.pause(fade_s=PAUSE_FADE_S)
        s.timeline = s.timeline.pause(self._elapsed())
        self._emit("paused", source)
        self._set_state("paused")

    def _do_resume(self, source: str) -> None:
        s = self._session
        assert s is not None
        if s.resume_position_s is not None:  # restored after a restart: nothing is loaded yet
            position, s.resume_position_s = s.resume_position_s, None
            self._start_phase_music(fade_in_s=self.config.volume.fade_in_s, start_s=position)
        else:
            self._mixer.resume(fade_s=PAUSE_FADE_S)
        s.timeline, paused_s = s.timeline.resume(self._elapsed())
        self._emit("resumed", source, paused_s=round(paused_s, 3), planned_end_s=s.timeline.phase_end_s)
        self._set_state("playing")

    def _do_next(self, source: str) -> None:
        s = self._session
        assert s is not None
        following = self._track_at(s.phase, s.track_index + 1)
        if following is None:
            raise SessionRefused(f"no more tracks in phase {s.phase.name} (its playlist says on_short: silence)")
        current = self._track_at(s.phase, s.track_index)
        s.track_index += 1
        self._emit("track_skipped", source, file=self._track_name(current), reason="staff: next track")
        self._start_phase_music()

    def _do_advance(self, source: str) -> None:
        s = self._session
        assert s is not None
        if s.timeline.is_last:
            raise SessionRefused(f"already in the last phase ({s.timeline.phase}); use stop to end the session")
        now = self._elapsed()
        self._emit("phase_advanced", source, **{"from": s.timeline.phase, "to": s.timeline.names[s.timeline.index + 1]})
        self._enter_phase(now, music=self._state == "playing")

    def _do_extend(self, source: str, minutes: float = 5.0) -> None:
        s = self._session
        assert s is not None
        s.timeline = s.timeline.extend(minutes * 60.0)
        if s.finishing:  # the phase was letting its track play out: it goes on with its own tracks
            s.finishing = False
            s.handed_turn = s.track_index
            self._mixer.queue_next(self._following_source(), crossfade_s=s.phase.crossfade_s)
        if s.fading_out:  # the final fade-out had begun: bring the music back up
            s.fading_out = False
            if self._state == "playing":
                self._start_phase_music(fade_in_s=s.phase.crossfade_s or PAUSE_FADE_S)
        self._emit("phase_extended", source, phase=s.timeline.phase, minutes=minutes,
                   planned_end_s=s.timeline.phase_end_s)

    def _do_mark(self, source: str, text: str) -> None:
        self._emit("marked", source, text=text)

    def _do_volume(self, source: str, delta_db: float | None = None, level_db: float | None = None) -> None:
        """Staff's level within [volume.floor_db, cap]: a step from what is heard (player/audio/levels.py)."""
        old = self._mixer.master_db
        new = self._mixer.set_master_db(level_db) if level_db is not None \
            else self._mixer.step_master_db(delta_db or 0.0)
        if self._session is None:
            self._preset_db = new   # set before a session: that session's playing level
        self._emit("volume_changed", source, from_db=round(old, 2), to_db=round(new, 2))

    def _do_stop(self, source: str) -> None:
        if self._session is None:  # a loaded playlist not yet started
            self._ready_playlist, self._state = None, "idle"
            return
        self._mixer.stop(fade_s=STOP_FADE_S)
        self._end_session("stopped", source)

    def _do_emergency_stop(self, source: str) -> None:
        if self._session is None:
            self._ready_playlist, self._state = None, "idle"
            return
        self._mixer.emergency_stop(fade_s=EMERGENCY_FADE_S)
        self._end_session("emergency_stop", source)

    def _end_session(self, reason: str, source: str, at_s: float | None = None) -> None:
        s = self._session
        assert s is not None
        if reason == "completed" and not s.fading_out:
            self._mixer.stop(fade_s=STOP_FADE_S)
        old, self._state = self._state, "ended"
        self._emit("session_ended", source, at_s=at_s, reason=reason)
        self._set_state("ended", old=old)
        s.log.close()
        self._session = None
        self._preset_db = None     # the next patient starts from the configured levels
        self._state_file.clear()
        self._notifier.status(f"{self.config.room}: session ended ({reason})")

    # --- status, saving, restoring ----------------------------------------------------------

    def _publish(self) -> None:
        s = self._session
        snap = dict.fromkeys(STATUS_KEYS)
        mixer = self._mixer
        snap.update(state=self._state, room=self.config.room,
                    volume_db=None if mixer is None else round(mixer.master_target_db, 2),
                    volume_now_db=None if mixer is None else round(mixer.master_db, 2),
                    audio=None if mixer is None else mixer.activity,
                    max_db=self.config.volume.max_db, faults=list(self._faults), phases=[], elapsed_s=0.0)
        level = self._mixer.level_db if self._mixer is not None else None
        snap["level_db"] = None if level is None else round(level, 2)
        if self._ready_playlist is not None:
            snap["playlist"] = self._ready_playlist.name
        if s is not None:
            now = self._elapsed()
            tl = s.timeline
            paused = 0.0 if tl.paused_at_s is None else now - tl.paused_at_s
            track = self._track_at(s.phase, s.track_index)
            snap.update(
                session_id=s.id, playlist=s.playlist.name, phase=tl.phase, phase_index=tl.index,
                elapsed_s=round(now, 3), phase_elapsed_s=round(now - tl.phase_start_s, 3),
                phase_remaining_s=round(max(0.0, tl.phase_end_s + paused - now), 3),
                remaining_s=round(max(0.0, tl.projected_end_s(now) - now), 3),
                track=self._track_name(track),
                phases=[{"name": p.name, "planned_start_s": p.planned_start_s, "planned_end_s": p.planned_end_s,
                         "actual_start_s": p.actual_start_s, "actual_end_s": p.actual_end_s,
                         "expected_start_s": p.expected_start_s, "expected_end_s": p.expected_end_s}
                        for p in tl.spans(now)])
        with self._lock:
            self._snapshot = snap

    def _save(self) -> None:
        s = self._session
        if s is None:
            return
        s.last_save = self._clock.monotonic()
        position = self._mixer.position_s if self._mixer is not None else None
        try:
            self._state_file.save({
                "version": 1, "state": self._state, "session_id": s.id, "playlist_path": str(s.playlist.path),
                "timeline": s.timeline.to_dict(), "elapsed_s": round(self._elapsed(), 3),
                "wall": self._clock.wall().isoformat(), "track_index": s.track_index,
                "position_s": None if position is None else round(position, 3),
                "master_db": self._mixer.master_target_db,
                "fading_out": s.fading_out})
        except OSError as exc:
            log.error("cannot save session state: %s", exc)

    def _restore(self) -> None:
        saved = self._state_file.load()
        if not saved or not is_active(str(saved.get("state"))):
            return
        try:
            sid = str(saved["session_id"])
            playlist = self._load_playlist(Path(saved["playlist_path"]))
            tl = Timeline.from_dict(saved["timeline"])
            if tl.names != tuple(p.name for p in playlist.phases):
                raise ValueError("the playlist's phases changed since the session started")
            gap = (self._clock.wall() - datetime.fromisoformat(saved["wall"])).total_seconds()
            elapsed_saved = float(saved["elapsed_s"])
        except (KeyError, TypeError, ValueError, PlaylistInvalid, OSError) as exc:
            log.error("cannot resume the saved session: %s; starting idle", exc)
            self._state_file.clear()
            return
        if gap < 0:
            log.warning("the wall clock went back %.1f s while the player was down; counting the gap as 0", -gap)
            gap = 0.0
        policy = self.config.session.resume_policy
        now_s = elapsed_saved + gap
        path = self.config.data_dir / SESSIONS_DIR / sid / EVENTS_FILE
        try:
            seq = max((int(r.get("seq") or 0) for r in read_events(path)), default=0)
        except (OSError, ValueError):
            seq = 0
        saved_level = saved.get("master_db")
        self._mixer.begin_level(float(saved_level) if isinstance(saved_level, (int, float)) else None)
        was = str(saved["state"])
        if policy == "pause" and was != "paused":
            tl = tl.pause(elapsed_saved)
        self._session = _Session(sid, playlist, EventLog(path), self._clock.monotonic() - now_s, tl, seq,
                                 int(saved.get("track_index") or 0), fading_out=bool(saved.get("fading_out")))
        self._state = "paused" if tl.paused_at_s is not None else "playing"
        self._prefetch(playlist)
        self._emit("daemon_restarted", gap_s=round(gap, 3), policy=policy, state_before=was)
        if self._state == "paused" and was != "paused":
            self._emit("paused", "system", reason="resumed after a restart; waiting for staff")
        s = self._session
        position = float(saved.get("position_s") or 0.0)
        if policy == "continue" and was == "playing":
            position += gap
        track = self._track_at(s.phase, s.track_index)
        if track is not None and track.duration_s and position > track.duration_s - 2 * s.phase.crossfade_s:
            s.track_index, position = s.track_index + 1, 0.0
        index_before = s.timeline.index
        self._cross_boundaries(now_s, music=False)
        if self._session is None:
            return
        if s.timeline.index != index_before:
            position = 0.0
        if self._state == "playing":
            self._start_phase_music(fade_in_s=self.config.volume.fade_in_s, start_s=position)
        else:
            s.resume_position_s = position
        self._save()
