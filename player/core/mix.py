"""The MixMachine: the one owner of what plays, stepped by the output shell.

`step(mix, input, now, readings) -> (mix, output commands, mixer events)`: one input (an
engine command, a tick, an output event; player/core/mix_commands.py) changes the `Mix`
(player/core/mix_state.py), and what the device must do comes back as output commands the
shell (player/engine/output.py) performs, one method per command class. Each input class
has one handler here, found through one dict; the modes are a table (mix_modes.py) run by
the transport (mix_transport.py), each tick's moves are the sequencer's (mix_sequencer.py),
every crossfade length is decided in crossfade.py. No I/O, no clock: `now` is passed in and
what must be read comes through `readings`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from player.config import AudioConfig, VolumeConfig
from player.core.crossfade import PREROLL_LEAD_S
from player.core.deck import DeckState
from player.core.device_watch import POLL_S
from player.core.gain import CrossfadeRamp, Ramp
from player.core.media import MixerEvent, OutputEvent
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
    Play,
    QueueNext,
    Readings,
    Resume,
    SetMaster,
    StepMaster,
    Stop,
    Tick,
)
from player.core.mix_sequencer import Sequencer
from player.core.mix_state import IDLE_TICK_S, TICK_S, Mix, Plan
from player.core.mix_transport import Transport

MixInput = (Play | CrossfadeTo | QueueNext | Pause | Resume | Stop | EmergencyStop | BeginLevel | SetMaster
            | StepMaster | Tick | OutputEvent | Opened | Closed | LoadRefused)

EMERGENCY_FADE_MAX_S = 0.5


class MixMachine:
    """Steps a `Mix`. Pure; one per output (its configuration), any number of steps.

    Args:
        volume: the volume section (fades, floor, start and default levels).
        audio: the audio section (stall timeout, device retries, output latency).
        cap_db: no deck is ever set above this.
        target_lufs: the loudness target.
    """

    def __init__(self, volume: VolumeConfig, audio: AudioConfig, *, cap_db: float, target_lufs: float) -> None:
        self._volume, self._audio = volume, audio
        self._cap_db, self._target_lufs = cap_db, target_lufs
        self._transport = Transport()
        self._seq = Sequencer(self._transport, audio, volume)
        self._handlers: dict[type, Callable[[Mix, Any, float], None]] = {
            Play: self._play, CrossfadeTo: self._crossfade_to, QueueNext: self._queue_next,
            Pause: self._pause, Resume: self._resume, Stop: self._stop, EmergencyStop: self._emergency_stop,
            BeginLevel: self._begin_level, SetMaster: self._set_master, StepMaster: self._step_master,
            Tick: self._tick, OutputEvent: self._output_event, Opened: self._opened, Closed: self._closed,
            LoadRefused: self._load_refused,
        }

    def new_mix(self) -> Mix:
        """Nothing plays, the master at the default level."""
        return Mix(self._volume, self._audio, cap_db=self._cap_db, target_lufs=self._target_lufs)

    def step(self, mix: Mix, given: MixInput, now: float,
             readings: Readings) -> tuple[Mix, list[OutputCommand], list[MixerEvent]]:
        """Take one input at `now`; returns the mix, the commands for the output and the events."""
        mix.slots.readings = readings
        self._handlers[type(given)](mix, given, now)
        commands, events = mix.take()
        return mix, commands, events

    # --- the engine's commands ---------------------------------------------------------
    def _play(self, m: Mix, given: Play, now: float) -> None:
        self._transport.command(m, now, "play", given.source, given.fade_s)

    def _crossfade_to(self, m: Mix, given: CrossfadeTo, now: float) -> None:
        m.xfade_hint = given.fade_s
        self._transport.command(m, now, "crossfade", given.source, given.fade_s)

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

    def _pause(self, m: Mix, given: Pause, now: float) -> None:
        self._transport.command(m, now, "pause", None, given.fade_s, kind="pause")

    def _resume(self, m: Mix, given: Resume, now: float) -> None:
        self._transport.command(m, now, "resume", None, given.fade_s)

    def _stop(self, m: Mix, given: Stop, now: float) -> None:
        self._transport.command(m, now, "stop", None, given.fade_s, kind="stop")

    def _emergency_stop(self, m: Mix, given: EmergencyStop, now: float) -> None:
        self._transport.command(m, now, "emergency", None, min(given.fade_s, EMERGENCY_FADE_MAX_S), kind="emergency")

    def _begin_level(self, m: Mix, given: BeginLevel, now: float) -> None:
        m.master.begin(now, given.target_db)

    def _set_master(self, m: Mix, given: SetMaster, now: float) -> None:
        m.master.set(now, given.level_db)

    def _step_master(self, m: Mix, given: StepMaster, now: float) -> None:
        m.master.step(now, given.delta_db)

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

    # --- what the shell reads ------------------------------------------------------------
    def activity(self, m: Mix) -> str:
        """For staff: silent, preparing (pre-roll and measurement before the first sound), playing, ..."""
        if not m.device.ok:
            return "device lost"
        if m.mode == "playing" and not any(d.is_sounding for d in m.slots.live()):
            return "preparing" if m.current is not None else "silent"
        return m.mode

    def idle_s(self, m: Mix, now: float) -> float:
        """How long the shell may wait before the next tick without coarsening anything.

        libVLC's volume is an integer percent, so a fade changes it only every so often: this
        looks ahead in 20 ms steps for the next change of any deck's percent or the end of any
        ramp (20 ms to 250 ms). Steady playback ticks 4 times a second.
        """
        decks = m.slots.live()
        if any(d.state in (DeckState.LOADING, DeckState.PREROLL) for d in decks):
            return TICK_S
        wait = IDLE_TICK_S
        if m.current is not None and m.mode == "playing" and m.current.is_sounding:
            rem = m.slots.remaining(m.current, now)
            if rem is not None:
                lead = (m.plan.crossfade_s if m.plan else m.xfade_hint) + PREROLL_LEAD_S
                wait = min(wait, max(TICK_S, rem - lead - IDLE_TICK_S))
        wait = max(TICK_S, min(wait, m.device.next_check - now))
        ramps = [d.fader for d in decks if isinstance(d.fader, (Ramp, CrossfadeRamp))] + [d.norm for d in decks]
        ramps += [m.master.ramp] + ([m.gate] if isinstance(m.gate, Ramp) else [])
        if all(r.done(now) for r in ramps):
            return wait
        steps = max(1, int(wait / TICK_S + 1e-9))
        for k in range(1, steps + 1):
            t = now + k * TICK_S
            gate, master = m.gate_db(t), m.master.value(t)
            if any(r.done(t) for r in ramps if not r.done(now)) or any(
                    m.slots.percent_at(d, t, gate, master) != d.percent for d in decks):
                return k * TICK_S
        return steps * TICK_S
