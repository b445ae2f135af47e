"""The MixMachine: the one owner of what plays, stepped by the output shell.

`step(mix, input, now, readings) -> (mix, output commands, mixer events)`: one input (an
engine command, a tick, an output event; player/core/mix_commands.py) changes the `Mix`
(player/core/mix_state.py), and what the device must do comes back as output commands the
shell (player/engine/output.py) performs, one method per command class. Each input class
has one handler here, found through one dict. The transport is here too: each command is
looked up in the mode table (mix_modes.py), which names the next mode and the `Action`, run
through one dict from action to method. The whole mix fades through the mix fader
(`Mix.gate`): pause, stop and emergency fade it to silence and resume brings it back, so
decks in the middle of a crossfade fade with everything else. Each tick's moves are the
sequencer's (mix_sequencer.py); every crossfade length is decided in crossfade.py. No I/O,
no clock: `now` is passed in and what must be read comes through `readings`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from player.core.deck import Cue, DeckState
from player.core.device_watch import POLL_S
from player.core.gain import Ramp
from player.core.level_model import LevelLimits
from player.core.media import MixerEvent, OutputEvent, Source
from player.core.mix_commands import (
    BeginLevel,
    Closed,
    CrossfadeTo,
    EmergencyStop,
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
    Readings,
    Resume,
    SetMaster,
    StepMaster,
    Stop,
    Tick,
)
from player.core.mix_modes import Action, Command, transition
from player.core.mix_sequencer import Sequencer
from player.core.mix_state import PREROLL_S, URGENT_SETTLE_S, Mix, Plan

if TYPE_CHECKING:   # settings come in as values; the core never reads the config
    from player.config import AudioConfig, VolumeConfig

MixInput = (Play | CrossfadeTo | QueueNext | PlaySession | Pause | Resume | Stop | EmergencyStop | BeginLevel
            | SetMaster | StepMaster | Tick | OutputEvent | Opened | Closed | LoadRefused)


EMERGENCY_FADE_MAX_S = 0.5


class MixMachine:
    """Steps a `Mix`. Pure; one per output (its configuration), any number of steps.

    Args:
        volume: the volume section (fades, floor, start and default levels).
        audio: the audio section (stall timeout, device retries, output latency).
        limits: the level model's settings (the cap in force, the loudness target, the headroom).
    """

    def __init__(self, volume: VolumeConfig, audio: AudioConfig, limits: LevelLimits) -> None:
        self._volume, self._audio, self._limits = volume, audio, limits
        self._seq = Sequencer(self, audio, volume)
        self._actions: dict[Action, Callable[[Mix, float, Source | None, float], None]] = {
            Action.ENTER: self._enter, Action.REPLACE: self._replace,
            Action.DETACH_AND_ENTER: self._detach_and_enter, Action.FADE_OUT: self._fade_out,
            Action.FADE_BACK: self._fade_back, Action.RESUME_DECKS: self._resume_decks,
            Action.HOLD: self._hold, Action.RELEASE: self._release,
            Action.ALREADY_SILENT: self._already_silent, Action.NONE: self._none,
        }
        self._handlers: dict[type, Callable[[Mix, Any, float], None]] = {
            Play: self._play, CrossfadeTo: self._crossfade_to, QueueNext: self._queue_next,
            PlaySession: self._play_session,
            Pause: self._pause, Resume: self._resume, Stop: self._stop, EmergencyStop: self._emergency_stop,
            BeginLevel: self._begin_level, SetMaster: self._set_master, StepMaster: self._step_master,
            Tick: self._tick, OutputEvent: self._output_event, Opened: self._opened, Closed: self._closed,
            LoadRefused: self._load_refused,
        }

    def new_mix(self) -> Mix:
        """Nothing plays, the master at the default level."""
        return Mix(self._volume, self._audio, self._limits)

    def step(self, mix: Mix, given: MixInput, now: float,
             readings: Readings) -> tuple[Mix, list[OutputCommand], list[MixerEvent]]:
        """Take one input at `now`; returns the mix, the commands for the output and the events."""
        mix.slots.readings = readings
        self._handlers[type(given)](mix, given, now)
        commands, events = mix.take()
        return mix, commands, events

    # --- the engine's commands ---------------------------------------------------------
    def _play(self, m: Mix, given: Play, now: float) -> None:
        self.command(m, now, "play", given.source, given.fade_s)
        cur = m.current
        if given.after_restart and cur is not None and cur.cue.kind == "enter":
            cur.settle_s = min(cur.settle_s, URGENT_SETTLE_S)   # silence since the restart: a short pre-roll

    def _crossfade_to(self, m: Mix, given: CrossfadeTo, now: float) -> None:
        m.xfade_hint = given.fade_s
        self.command(m, now, "crossfade", given.source, given.fade_s)

    def _queue_next(self, m: Mix, given: QueueNext, now: float) -> None:
        source = given.source
        m.xfade_hint = given.crossfade_s
        nxt = m.next
        if nxt is not None and nxt.cue.kind == "planned":
            if source is not None and nxt.source.token == source.token:
                return                                     # already pre-rolling it
            m.stop(nxt)
        m.plan = Plan(source, given.crossfade_s)
        if source is not None:
            m.commands.append(Measure(source.path, 10))

    def _play_session(self, m: Mix, given: PlaySession, now: float) -> None:
        m.slots.play_session(list(given.paths))
        m.commands.extend(Measure(path, 100 + i) for i, path in enumerate(given.paths))

    def _pause(self, m: Mix, given: Pause, now: float) -> None:
        self.command(m, now, "pause", None, given.fade_s, kind="pause")

    def _resume(self, m: Mix, given: Resume, now: float) -> None:
        self.command(m, now, "resume", None, given.fade_s)

    def _stop(self, m: Mix, given: Stop, now: float) -> None:
        self.command(m, now, "stop", None, given.fade_s, kind="stop")

    def _emergency_stop(self, m: Mix, given: EmergencyStop, now: float) -> None:
        self.command(m, now, "emergency", None, min(given.fade_s, EMERGENCY_FADE_MAX_S), kind="emergency")

    def _begin_level(self, m: Mix, given: BeginLevel, now: float) -> None:
        m.master.begin(now, given.target_db)

    def _set_master(self, m: Mix, given: SetMaster, now: float) -> None:
        m.master.set(now, given.level_db)

    def _step_master(self, m: Mix, given: StepMaster, now: float) -> None:
        m.master.step(now, given.delta_db)

    # --- the transport: (mode, command) -> (mode, action) by mix_modes.py's table ----------
    def command(self, m: Mix, now: float, command: Command, source: Source | None = None, fade_s: float = 0.0,
                kind: str = "") -> None:
        """Take the table's transition for `command` and run its action (`kind`: what a fade out is for)."""
        m.mode, action = transition(m.mode, command)
        if kind:
            m.fade_kind = kind
        self._actions[action](m, now, source, fade_s)

    def faded(self, m: Mix, now: float) -> None:
        """The mix fader reached silence (or nothing is left to fade)."""
        self.command(m, now, "faded")

    def _none(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        pass

    def _enter(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        """From silence or paused: drop what is held, and fade the mix in with `source`."""
        assert source is not None
        for deck in m.slots.live():
            m.stop(deck)
        m.enter_fresh(now, source, fade_s)

    def _replace(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        """Playing: crossfade into `source` if music is heard; else enter with it (keeping a start fade)."""
        assert source is not None
        cur = m.current
        if cur is None or not cur.is_sounding:
            m.stop(cur)
            m.stop(m.next)
            m.plan, m.pending, m.needs_sent = None, None, False
            m.start_current(source, now, Cue("enter", fade_s))
            return
        m.stop(m.next)
        m.plan, m.needs_sent = None, True
        if m.slots.free_slot() is None:
            m.pending = (source, fade_s)
        else:
            m.next = m.load(source, now, Cue("now", fade_s), PREROLL_S)

    def _detach_and_enter(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        """A start while the mix fades out: the old decks finish that fade on their own, the new one comes in."""
        assert source is not None
        left = m.gate_left_s(now)
        for deck in m.slots.live():
            if deck.is_sounding:
                level = deck.fader_db(now)
                gate = m.gate_db(now)
                start = None if level is None or gate is None else level + gate
                deck.fader, deck.gated = Ramp(start, None, now, left, m.floor_rel(now)), False
                if deck.state is DeckState.AUDIBLE:
                    deck.fire("fade_out")
            else:
                m.stop(deck)
        m.enter_fresh(now, source, fade_s)

    def _fade_out(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        """Pause, stop, emergency: the whole mix fades to silence (a faster fade wins)."""
        pausing = m.mode == "pausing"
        nxt, cur = m.next, m.current
        if nxt is not None and not nxt.heard:
            if pausing and nxt.cue.kind == "planned":
                m.plan = Plan(nxt.source, nxt.cue.length_s)    # loaded again after the resume
            m.stop(nxt)
        if cur is not None and not cur.heard:
            m.held = cur.source if pausing else None           # never heard: nothing to fade
            m.stop(cur)
        m.pending = None
        if not pausing:
            m.plan, m.held = None, None
        if isinstance(m.gate, Ramp) and m.gate.end_db is None:
            fade_s = min(fade_s, m.gate_left_s(now))
        m.gate = Ramp(m.gate_db(now), None, now, max(0.0, fade_s), m.floor_rel(now))
        m.gate_in_s = None
        m.fade_done_at = now + max(0.0, fade_s) + m.slots.latency_s
        if not m.slots.live():
            self.faded(m, now)

    def _fade_back(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        m.gate = Ramp(m.gate_db(now), 0.0, now, fade_s, m.floor_rel(now))

    def _resume_decks(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        cur = m.current
        m.gate, m.gate_in_s = None, fade_s
        if cur is None:
            if m.held is not None:
                held, m.held = m.held, None
                m.start_current(held, now, Cue("resume", fade_s))
            return
        m.commands.append(PlayDeck(cur.slot))
        cur.fire("resume")
        cur.restart_clock(now, URGENT_SETTLE_S)
        cur.cue, cur.fader = Cue("resume", fade_s), 0.0

    def _hold(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        for deck in m.slots.live():
            if deck is m.current and deck.state is DeckState.AUDIBLE:
                m.commands.append(PauseDeck(deck.slot))
                deck.fire("pause")
            else:
                m.stop(deck)
                m.emit_ended(deck)
        m.emit("fade_finished", kind=m.fade_kind)

    def _release(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        for deck in m.slots.live():
            m.stop(deck)
            m.emit_ended(deck)
        m.plan, m.pending, m.held, m.gate = None, None, None, None
        m.emit("fade_finished", kind=m.fade_kind)

    def _already_silent(self, m: Mix, now: float, source: Source | None, fade_s: float) -> None:
        if m.mode == "silent":
            m.held = None
        m.emit("fade_finished", kind=m.fade_kind)

    # --- time and the output -------------------------------------------------------------
    def _tick(self, m: Mix, given: Tick, now: float) -> None:
        self._seq.tick(m, now)
        m.apply(now)

    def _output_event(self, m: Mix, event: OutputEvent, now: float) -> None:
        if event.kind == "device_lost":
            self._seq.device_lost(m, now, event.detail or "device lost")
        elif event.kind == "device_back":
            m.device.next_check = now
        else:
            deck = m.slots.by_slot(event.deck)
            if deck is not None and deck.load_token == event.token:
                if event.kind == "playing":
                    deck.seen_playing = True
                elif event.kind == "error":
                    self._seq.failed(m, deck, now, event.detail or "cannot open or decode")
                elif event.kind == "ended":
                    self._seq.ended(m, deck, now)
        m.apply(now)

    def _opened(self, m: Mix, given: Opened, now: float) -> None:
        if not m.slots.probe_device():
            self._seq.device_lost(m, now, "audio device missing at start")
        m.device.next_check = now + POLL_S

    def _closed(self, m: Mix, given: Closed, now: float) -> None:
        m.current = m.next = None

    def _load_refused(self, m: Mix, given: LoadRefused, now: float) -> None:
        m.load_refused(given)
