"""The session engine: the one thread that owns a treatment session, and its hands on the device.

Everything that can change the session arrives as an item on one queue: staff controls
(`submit`, from the button, socket and web threads; player/engine/inputs.py), audio-output
events (posted by libVLC's threads), and the engine's own tick. Two pure cores decide: the
session core (player/core/session.py) answers each input with typed effects
(player/core/effects.py), and the mix core (player/core/mix.py) answers each music effect
with output commands (player/core/mix_commands.py). This shell performs both, in order,
each through one method found by its class: `SessionEngine` performs the session's effects
(the music's on the `Mixer`, records and storage through the `Bookkeeper`,
player/engine/bookkeeping.py), and `Mixer` performs the mix's commands on the device. So a
control goes edge -> this module -> the session core -> the mix core -> the device, and each
hop is a call "go to definition" follows (docs/design.md, "Call paths, measured").

What the shell guarantees:

* a control is answered once its records are written, or are waiting in memory because the
  disk refuses (the answer's status says ``records_pending``); nothing the disk does can
  stop the loop: a storage fault is a fault staff see, and the music plays on;
* a control carries a deadline: one whose caller was told "no answer" is dropped, never
  applied later; a playlist is loaded and validated in the caller's thread, never here;
* `submit` from the engine thread itself (a listener) is refused at once: it would wait for
  itself until its timeout;
* an unexpected error in one step is logged and shown as a fault; the thread never dies.

The mixer
---------
`Mixer` is the face the session engine sees (play, crossfade_to, queue_next, pause, ...).
Each call becomes one input to the pure `MixMachine` (player/core/mix.py); the machine
answers with output commands, which `Mixer` performs on the device and the loudness
analyzer, one method per command class, and with mixer events, which the engine takes from
`handle` and `tick`. What the machine must read (positions, lengths, loudness figures, the
device probe) the shell answers as its `Readings`.

`Mixer` raises the `player.background.Foreground` flag on every device call that starts or
shapes sound, so loudness analysis and other background work wait while a deck loads,
pre-rolls or fades. This module is the one caller of the AudioOutput.

Everything here runs on the engine's thread: it calls `handle` for each output event it
dequeued, `tick` at least as often as `idle_s` asks (20 ms while anything ramps, up to
1 s in steady playback), and the commands below. Nothing blocks except libVLC calls;
loudness is measured ahead on the analyzer's worker thread (player/audio/analysis.py).

Levels (all dB; `player/core/gain.py` turns them into VLC percent in one place)::

    heard     = master + trim + session reference + deck fader + mix fader   (at most the cap)
    deck gain = normalization need + heard, within the track's headroom  (player/core/level_model.py)

* the *deck fader* is what crossfades move (equal-power), and a failed deck's quick fade;
* the *mix fader* ("gate") fades the whole mix: in from silence at a start (dB-linear from
  volume.floor_db over the fade time), out for pause, stop and emergency stop, back in on
  resume. A skip or a phase change during the start fade crossfades between decks while
  the mix fader goes on along its path, so nothing ever rises above that path;
* *master* is the level story of `player.core.levels.MasterLevel`;
* *normalization* is known before a deck is heard (or provisional, then glides).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from player.audio.analysis import Analyzer
from player.audio.api import AudioOutput
from player.background import Foreground
from player.clock import Clock
from player.config import Config
from player.control.controller import STATUS_KEYS, Listener, Listeners, check_control
from player.core import effects as fx
from player.core.cap import cap_db
from player.core.controls import Load, MusicFeedback, Press, Start
from player.core.deck import Deck
from player.core.effects import Effect
from player.core.level_model import LevelLimits, TrackLevel, heard_of_gain_db
from player.core.levels import MasterLevel
from player.core.media import DeckName, GainResult, MixerEvent, OutputEvent, Source
from player.core.mix import MixInput, MixMachine
from player.core.mix_commands import (
    BeginLevel,
    Closed,
    CrossfadeTo,
    EmergencyStop,
    LoadDeck,
    LoadRefused,
    Measure,
    Opened,
    OutputCommand,
    Pause,
    PauseDeck,
    Play,
    PlayDeck,
    PlaySession,
    QueueNext,
    ReleaseDeck,
    Resume,
    SetGain,
    SetMaster,
    StepMaster,
    Stop,
    Tick,
)
from player.core.mix_modes import Mode
from player.core.running import MixerView
from player.core.session import LOST_FAULT, SessionMachine, lost_fault
from player.core.vocabulary import is_active
from player.engine import persist
from player.engine.bookkeeping import Bookkeeper
from player.engine.eventlog import SESSIONS_DIR
from player.engine.feedback_log import check_session
from player.engine.inputs import Command, Notifier, Sync, new_session_id, prepare_playlist
from player.engine.journal import Journal
from player.engine.records import RecordKeeper
from player.errors import SessionRefused
from player.playlist.model import Playlist

log = logging.getLogger(__name__)

TICK_S = 0.02
MAX_IDLE_S = 1.0   # the longest the loop sleeps: staff controls wake it at once anyway
SAVE_EVERY_S = 30.0   # besides every control and track change; a restart adds the downtime to what was saved
RETRY_EVERY_S = 5.0
PUBLISH_EVERY_S = 1.0

#: A deck's load and play: until its pre-roll has settled (engineering notes: 1-2 s muted).
START_BUSY_S = 3.0
#: After a volume step (fades step every ~20-100 ms) or a stop.
STEP_BUSY_S = 1.0

_STOP = object()   # ends the engine's thread (the session, if any, stays saved for the next start)


class SessionEngine:
    """Runs sessions; implements the `Controller` protocol for the edges.

    Args:
        config: the daemon's configuration.
        mixer: the `Mixer` below, used only from the engine thread.
        clock: monotonic time for phases, wall time for records, boot clock for restarts.
        load_playlist: validates a playlist file (raises PlaylistInvalid); runs in the caller's thread.
        notifier: told the phase and watchdog pings.
        apply_pending_library: makes a deferred USB import current (without waiting for a
            running import); returns the generation, or None.
        load_to_resume: loads the playlist of a session cut short (default `load_playlist`;
            the daemon's tolerates a track that went bad meanwhile).
        records: where records and saved state go (default: a `RecordKeeper` on the data dir).
    """

    def __init__(self, config: Config, mixer: Mixer, clock: Clock, *, load_playlist: Callable[[Path], Playlist],
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
                                stored=lambda: self._books.disk_news(), published=self._publish)
        self._books = Bookkeeper(self._machine, mixer, clock, self._journal, self._keeper, perform=self._perform,
                                 notify=self._notifier.status, apply_pending=apply_pending_library or (lambda: None))
        # Each effect's one performer, by its class: the music's are the mixer's calls, the rest the books'.
        self._performers: dict[type, Callable] = {
            fx.Play: lambda e: self._mixer.play(e.source, fade_in_s=e.fade_in_s, after_restart=e.after_restart),
            fx.Crossfade: lambda e: self._mixer.crossfade_to(e.source, crossfade_s=e.crossfade_s),
            fx.QueueNext: lambda e: self._mixer.queue_next(e.source, crossfade_s=e.crossfade_s),
            fx.Prefetch: lambda e: self._mixer.prefetch(list(e.sources)),
            fx.BeginLevel: lambda e: self._mixer.begin_level(target_db=e.target_db),
            fx.PauseAudio: lambda e: self._mixer.pause(fade_s=e.fade_s),
            fx.ResumeAudio: lambda e: self._mixer.resume(fade_s=e.fade_s),
            fx.StopAudio: lambda e: self._mixer.stop(fade_s=e.fade_s),
            fx.EmergencyStopAudio: lambda e: self._mixer.emergency_stop(fade_s=e.fade_s),
            fx.ChangeLevel: self._change_level, **self._books.performers}
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
            control = prepare_playlist(control, self.config, self._load_playlist)
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
                    self._guarded(self._books.save)
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
            self._books.actor = cmd.actor
            self._perform(self._machine.command(control, cmd.source, self._clock.monotonic(), self._view()))
        except SessionRefused as exc:
            cmd.error = exc
        except Exception as exc:  # noqa: BLE001 - answer the caller, keep running
            log.exception("control %s failed", control.action)
            cmd.error = SessionRefused(f"{control.action} failed: {exc}")
        finally:
            self._books.actor = None
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
            self._books.retry_records()
        if self._machine.session is not None and now - self._books.saved_at >= SAVE_EVERY_S:
            self._books.save()
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
        """Each effect in order, by its class (None: nothing to do)."""
        for effect in effects:
            if effect is not None:
                self._performers[type(effect)](effect)

    def _change_level(self, e: fx.ChangeLevel) -> None:
        old = self._mixer.master_db
        new = self._mixer.set_master_db(e.level_db) if e.level_db is not None \
            else self._mixer.step_master_db(e.delta_db or 0.0)
        self._perform(self._machine.level_changed(e.source, e.at_s, old, new))

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


# --- the mixer: the mix core's commands performed on the device ------------------------------

class _Readings:
    """What the machine reads, answered from the output and the analyzer (the machine's `Readings`)."""

    def __init__(self, output: AudioOutput, analyzer: Analyzer) -> None:
        self._out, self._analyzer = output, analyzer

    def position_s(self, slot: DeckName) -> float | None:
        return self._out.position_s(slot)

    def duration_s(self, slot: DeckName) -> float | None:
        return self._out.duration_s(slot)

    def loudness(self, path: Path) -> GainResult:
        return self._analyzer.result(path)

    def levels_revision(self) -> int:
        return self._analyzer.revision

    def final_levels(self, paths: list[Path]) -> list[TrackLevel]:
        return self._analyzer.final_levels(paths)

    def device_ok(self) -> bool:
        return self._out.device_ok()


class Mixer:
    """Plays sources on three decks with safe levels. Engine thread only (see module doc).

    Args:
        output: the device (VlcOutput or FakeOutput), not yet opened.
        config: the player's config (volume, loudness and audio sections are read).
        clock: monotonic clock shared with the engine.
        analyzer: loudness measurements; None plays files at their mastered level (+ trim).
        foreground: raised on every device call that starts or shapes sound (a deck's load and
            play, each volume step of a fade, a pause or stop), so loudness analysis and other
            background work wait while a deck loads, pre-rolls or fades; steady playback makes
            no calls, so it clears a moment after a fade ends. None: nothing waits on it.
    """

    def __init__(self, output: AudioOutput, config: Config, clock: Clock, analyzer: Analyzer | None = None,
                 foreground: Foreground | None = None) -> None:
        self._out = output
        self._foreground = foreground
        self._clock = clock
        self._analyzer = analyzer or Analyzer(None)
        self._machine = MixMachine(config.volume, config.audio, LevelLimits.of(config))
        self._mix = self._machine.new_mix()
        self._readings = _Readings(output, self._analyzer)
        self._loads: dict[DeckName, tuple[int, int]] = {}
        self._events: list[MixerEvent] = []
        self._open = False
        self._perform: dict[type, Callable[[OutputCommand], LoadRefused | None]] = {
            LoadDeck: self._load, PlayDeck: self._play_deck, PauseDeck: self._pause_deck,
            ReleaseDeck: self._release, SetGain: self._set_gain, Measure: self._measure,
        }

    def __repr__(self) -> str:
        cur, level = self._mix.current, self.level_db
        what = f"{cur.source.name} at {level:.1f} dB" if cur and level is not None else "silent"
        return f"<Mixer {self._mix.mode} {what} master {self.master_db:.1f} dB>"

    # --- stepping the machine and performing what it says ----------------------------------
    def _step(self, given: MixInput) -> None:
        self._mix, commands, events = self._machine.step(self._mix, given, self._clock.monotonic(), self._readings)
        self._events += events
        refused = [r for r in (self._perform[type(c)](c) for c in commands) if r is not None]
        for refusal in refused:
            self._step(refusal)

    def _take(self) -> list[MixerEvent]:
        events, self._events = self._events, []
        return events

    def _busy(self, for_s: float) -> None:
        if self._foreground is not None:
            self._foreground.busy_for(for_s)

    def _load(self, command: LoadDeck) -> LoadRefused | None:
        source = command.source
        self._busy(START_BUSY_S)
        try:
            token = self._out.load(command.slot, source.path, source.start_s)
            self._out.set_gain_db(command.slot, None)
            self._busy(START_BUSY_S)            # again from the play: a load on a starved Pi takes a while
            self._out.play(command.slot)
        except Exception as exc:  # noqa: BLE001 - an output failure must never take the engine down
            return LoadRefused(command.slot, command.token, str(exc) or type(exc).__name__)
        self._loads[command.slot] = (command.token, token)
        return None

    def _play_deck(self, command: PlayDeck) -> None:
        self._busy(START_BUSY_S)
        self._out.play(command.slot)

    def _pause_deck(self, command: PauseDeck) -> None:
        self._busy(STEP_BUSY_S)
        self._out.pause(command.slot)

    def _release(self, command: ReleaseDeck) -> None:
        self._loads.pop(command.slot, None)
        try:
            self._busy(STEP_BUSY_S)
            self._out.set_gain_db(command.slot, None)
            self._busy(STEP_BUSY_S)
            self._out.stop(command.slot)
        except Exception as exc:  # noqa: BLE001
            log.warning("deck %s: stop failed: %s", command.slot, exc)

    def _set_gain(self, command: SetGain) -> None:
        self._busy(STEP_BUSY_S)
        self._out.set_gain_db(command.slot, command.gain_db)

    def _measure(self, command: Measure) -> None:
        self._analyzer.want(command.path, command.priority)

    def _deck_event(self, event: OutputEvent) -> OutputEvent:
        """The event with the mix's token for the load it belongs to (-1: an older load of that slot)."""
        if event.deck is None:
            return event
        mine, theirs = self._loads.get(event.deck, (-1, -1))
        return dataclasses.replace(event, token=mine if event.token == theirs else -1)

    # --- lifecycle -------------------------------------------------------------------
    def open(self, on_output_event: Callable[[OutputEvent], None]) -> None:
        """Open the output; its events go to `on_output_event` (which must only enqueue)."""
        self._out.open(on_output_event)
        self._open = True
        self._step(Opened())

    def close(self) -> None:
        """Stop at once and release the device; safe twice. (Fade first with `stop`.)"""
        self._analyzer.close()
        if self._open:
            self._open = False
            self._step(Closed())
            self._out.close()

    # --- what the engine reads ---------------------------------------------------------
    @property
    def master(self) -> MasterLevel:
        """The level story (read it; change it through the commands below)."""
        return self._mix.master

    @property
    def mode(self) -> Mode:
        return self._mix.mode

    @property
    def master_db(self) -> float:
        """The master level heard now (it may be rising toward `master_target_db`)."""
        return self._mix.master.value(self._clock.monotonic())

    @property
    def master_target_db(self) -> float:
        return self._mix.master.target_db

    @property
    def level_db(self) -> float | None:
        """The level the current deck is heard at (dB relative to the loudness target), None when silent."""
        cur, now = self._mix.current, self._clock.monotonic()
        return None if cur is None else heard_of_gain_db(self._mix.gain(cur, now), cur.norm.value(now))

    @property
    def heard_db(self) -> float | None:
        """The level heard, relative to the loudness target at 0 dB (what the calibration turns into dBA)."""
        return self._mix.heard_db(self._clock.monotonic())

    @property
    def current(self) -> Source | None:
        """The source heard as "the track" (or entering from silence)."""
        return None if self._mix.current is None else self._mix.current.source

    @property
    def position_s(self) -> float | None:
        cur = self._mix.current
        return None if cur is None else cur.position(self._clock.monotonic())

    @property
    def is_silent(self) -> bool:
        now = self._clock.monotonic()
        return all(self._mix.gain(d, now) is None for d in self._mix.slots.live())

    @property
    def device_ok(self) -> bool:
        return self._mix.device.ok

    @property
    def activity(self) -> str:
        """For staff: silent, preparing (pre-roll and measurement before the first sound), playing, ..."""
        return self._mix.activity()

    @property
    def decks(self) -> list[Deck]:
        """The live decks (for status and tests; do not change them)."""
        return self._mix.slots.live()

    @property
    def idle_s(self) -> float:
        """How long the engine may wait before the next `tick` without coarsening anything (20 ms to 1 s)."""
        return self._mix.idle_s(self._clock.monotonic())

    # --- commands --------------------------------------------------------------------
    def prefetch(self, sources: Iterable[Source]) -> None:
        """Have the loudness of the session's sources measured, in this order (on the worker thread).

        They are the session's tracks: its reference keeps them all even (level_model.reference_db).
        """
        self._step(PlaySession(tuple(source.path for source in sources)))

    def wait_for_prefetch(self, timeout_s: float) -> bool:
        """Block until every measurement asked for so far is done (start-up, tests)."""
        return self._analyzer.wait_idle(timeout_s)

    def begin_level(self, target_db: float | None = None) -> None:
        """A session starts (or resumes after a restart): start low, rise to `target_db` after the start fade."""
        self._step(BeginLevel(target_db))

    def play(self, source: Source, *, fade_in_s: float, after_restart: bool = False) -> None:
        """Start `source` from silence, the mix fading in over `fade_in_s` (crossfades if music is heard).

        `after_restart`: the session is taken up after a restart (a short pre-roll; mix_commands.Play).
        """
        self._step(Play(source, fade_in_s, after_restart))

    def crossfade_to(self, source: Source, *, crossfade_s: float) -> None:
        """Equal-power crossfade into `source` now (after its pre-roll)."""
        self._step(CrossfadeTo(source, crossfade_s))

    def queue_next(self, source: Source | None, *, crossfade_s: float) -> None:
        """Say what follows the current source (None: fade to silence at its end)."""
        self._step(QueueNext(source, crossfade_s))

    def pause(self, fade_s: float = 3.0) -> None:
        self._step(Pause(fade_s))

    def resume(self, fade_s: float = 3.0) -> None:
        self._step(Resume(fade_s))

    def stop(self, fade_s: float = 3.0) -> None:
        self._step(Stop(fade_s))

    def emergency_stop(self, fade_s: float = 0.5) -> None:
        self._step(EmergencyStop(fade_s))

    def set_master_db(self, level_db: float) -> float:
        """Ramp the master level to `level_db` (clamped to the cap) over ~300 ms; cancels a rise."""
        self._step(SetMaster(level_db))
        return self._mix.master.target_db

    def step_master_db(self, delta_db: float) -> float:
        """Step the master level from what is heard now (clamped to the cap); cancels a rise."""
        self._step(StepMaster(delta_db))
        return self._mix.master.target_db

    # --- engine hooks ----------------------------------------------------------------
    def handle(self, event: OutputEvent) -> list[MixerEvent]:
        """React to one output event (dequeued by the engine); returns what happened."""
        self._step(self._deck_event(event))
        return self._take()

    def tick(self) -> list[MixerEvent]:
        """Advance ramps, pre-rolls, schedules, stall and device checks; push gains out."""
        if not self._open:
            return []
        self._step(Tick())
        return self._take()
