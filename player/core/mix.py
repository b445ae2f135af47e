"""The MixMachine: the one owner of what plays, stepped by the engine's Mixer; and what it owns.

`step(mix, input, now, readings) -> (mix, output commands, mixer events)`: one input (an
engine command, a tick, an output event; player/core/mix_commands.py) changes the `Mix`,
and what the device must do comes back as output commands the shell
(player/engine/loop.py) performs, one method per command class. Each input class has one
handler here, found through one dict. The transport is here too: each command is looked up
in the mode table (mix_modes.py), which names the next mode and the `Action`, run through
one dict from action to method. The whole mix fades through the mix fader (`Mix.gate`):
pause, stop and emergency fade it to silence and resume brings it back, so decks in the
middle of a crossfade fade with everything else. Each tick's moves are the sequencer's
(mix_sequencer.py, which works on the `Mix` it is handed); every crossfade length is decided
in crossfade.py. No I/O, no clock: `now` is passed in and what must be read comes through
`readings`.

The state the machine owns lives here with it, so a load or a gain goes from the machine's
decision to its output command in this one module:

* `Mix`: the decks and their roles, the plan, the mix fader, the master, and the moves on
  them. Roles are references, not flags: `current` is what the session hears as "the track"
  (or the deck entering from silence), `next` the deck pre-rolling to crossfade in; any
  other live deck is on its way out. What the output must do is queued in `commands`, what
  the session must hear of in the events; `take` hands both over after each step.
* `DeckSlots`: the three output slots the decks play on. It loads a source on a free slot
  (muted, playing: the pre-roll), stops decks, reads positions, settles each deck's
  normalization from the loudness figures, and pushes the digital gains out (`LoadDeck`,
  `SetGain`, ...). It knows nothing of roles or crossfades: that is the `Mix`'s policy.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from player.core.crossfade import PREROLL_LEAD_S, fit_crossfade
from player.core.deck import FAILED_FADE_S, PREROLL_S, URGENT_SETTLE_S, Cue, Deck, DeckState
from player.core.device_watch import POLL_S, DeviceWatch
from player.core.gain import CrossfadeRamp, Glide, Ramp, db_to_vlc_percent
from player.core.level_model import LevelLimits, SessionReference, deck_gain_db, heard_level_db
from player.core.levels import MasterLevel
from player.core.media import DECKS, DeckName, GainResult, MixerEvent, OutputEvent, Source
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
    Readings,
    ReleaseDeck,
    Resume,
    SetGain,
    SetMaster,
    StepMaster,
    Stop,
    Tick,
)
from player.core.mix_modes import Action, Command, Mode, transition
from player.core.mix_sequencer import Sequencer

if TYPE_CHECKING:   # settings come in as values; the core never reads the config
    from player.config import AudioConfig, VolumeConfig

log = logging.getLogger(__name__)

DEFAULT_CROSSFADE_S = 8.0
TICK_S = 0.02               # while anything ramps, the engine should tick this often
IDLE_TICK_S = 1.0           # steady playback: ticking this often is enough (see `idle_s`)
NORM_GLIDE_DB_PER_S = 0.5   # a measurement arriving for a heard deck moves its level this slowly
EMERGENCY_FADE_MAX_S = 0.5

MixInput = (Play | CrossfadeTo | QueueNext | PlaySession | Pause | Resume | Stop | EmergencyStop | BeginLevel
            | SetMaster | StepMaster | Tick | OutputEvent | Opened | Closed | LoadRefused)


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
                m.replan(nxt)                                  # loaded again after the resume
            m.stop(nxt)
        if cur is not None and not cur.heard:
            m.held = cur.source if pausing else None           # never heard: nothing to fade
            m.held_heard = False
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
                held, m.held = m.held, None     # heard before: it goes on; never heard: it starts now
                m.start_current(held, now, Cue("resume" if m.held_heard else "enter", fade_s))
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


class LoadFailed(Exception):
    """No deck is free for a source."""


class DeckSlots:
    """The decks on an output's slots, with their gains.

    Args:
        commands: where output commands go (the mix's list, taken after each step).
        limits: the level model's settings (player/core/level_model.py): no deck is ever
            heard above its cap, nor set above its digital ceiling.
        latency_s: what the output has taken but not yet played (`audio.latency_s`).
    """

    def __init__(self, commands: list[OutputCommand], limits: LevelLimits, latency_s: float = 0.0) -> None:
        self._commands = commands
        self.readings: Readings | None = None      # the step's readings (set by the machine)
        self.latency_s = latency_s
        self.limits = limits
        self.cautious_db = limits.need_db(None)
        self._decks: dict[DeckName, Deck | None] = dict.fromkeys(DECKS)
        self._loads = 0
        self._session: list[Path] = []
        self._revision = -1
        self.reference = SessionReference(limits, NORM_GLIDE_DB_PER_S)

    def __repr__(self) -> str:
        return f"<DeckSlots {[d for d in self._decks.values() if d]}>"

    def _read(self) -> Readings:
        assert self.readings is not None, "read outside a step"
        return self.readings

    def live(self) -> list[Deck]:
        return [d for d in self._decks.values() if d is not None]

    def by_slot(self, slot: DeckName | None) -> Deck | None:
        return self._decks.get(slot) if slot is not None else None

    def free_slot(self) -> DeckName | None:
        return next((n for n in DECKS if self._decks[n] is None), None)

    def load(self, source: Source, now: float, cue: Cue, settle_s: float) -> Deck:
        """Load `source` muted on a free slot and start it (the pre-roll).

        Raises:
            LoadFailed: no free slot. (An output that refuses answers with `LoadRefused`.)
        """
        slot = self.free_slot()
        if slot is None:
            raise LoadFailed("no free deck")
        self._loads += 1
        self._commands += [Measure(source.path, 0), LoadDeck(slot, source, self._loads)]
        deck = Deck(slot, source, self._loads, now, settle_s, cue, Glide.at(self.cautious_db, NORM_GLIDE_DB_PER_S))
        self._decks[slot] = deck
        return deck

    def stop(self, deck: Deck) -> None:
        """Stop the deck now (callers faded it first) and free its slot."""
        if deck.can("stop"):
            deck.fire("stop")
        self.release(deck.slot)

    def release(self, slot: DeckName) -> None:
        """Free `slot` (muted and stopped by the output)."""
        self._decks[slot] = None
        self._commands.append(ReleaseDeck(slot))

    def probe_device(self) -> bool:
        return self._read().device_ok()

    def read_position(self, deck: Deck) -> float | None:
        return self._read().position_s(deck.slot)

    def remaining(self, deck: Deck, now: float) -> float | None:
        """Time left to hear the deck: to its end, less the output's latency (`audio.latency_s`).

        Measured on the virtual sound card: what libVLC has handed the output but is not yet
        heard (~1.3 s through PulseAudio) is dropped at the end of a stream, so a fade that
        ended at the reported end would be cut there.
        """
        left = deck.remaining(now, self._read().duration_s(deck.slot))
        return None if left is None else left - self.latency_s

    def duration(self, deck: Deck) -> float | None:
        """Length that can be heard (the latency taken off its end)."""
        length = deck.source.duration_s or self._read().duration_s(deck.slot)
        return None if length is None else max(0.0, length - self.latency_s)

    # --- normalization -----------------------------------------------------------------
    def settle_norm(self, deck: Deck, *, must_go: bool) -> bool:
        """Give a pre-rolled deck its normalization before it is heard.

        Returns True when the deck may be heard: its gain is final, or provisional over
        enough audio, or cannot be measured (then the cautious gain), or `must_go` (it must
        be heard now: the best figure so far, else the cautious one).
        """
        result = self._read().loudness(deck.source.path)
        if not (result.usable or must_go):
            return False
        need = self._need(result)
        if need is not None and not result.error:
            deck.norm, deck.level = Glide.at(need, NORM_GLIDE_DB_PER_S), result.level
        deck.norm_final = result.final or bool(result.error)
        if result.error or need is None:
            log.warning("%s: loudness %s; playing it at a cautious %+.1f dB", deck.source.name,
                        f"unknown ({result.error})" if result.error else "not measured in time", self.cautious_db)
        return True

    def _need(self, result: GainResult) -> float | None:
        """The normalization need of a result (0 when nothing normalizes; None: nothing known yet)."""
        if result.unnormalized:
            return 0.0
        return None if result.level is None else self.limits.need_db(result.level)

    def update_norms(self, now: float) -> None:
        """Measurements that arrive for decks already heard: glide there, never step."""
        for deck in self.live():
            if deck.norm_final:
                continue
            result = self._read().loudness(deck.source.path)
            target = self.cautious_db if result.error else self._need(result)
            if target is not None and target != deck.norm.target_db:
                deck.norm = deck.norm.toward(now, target)
            if target is not None:      # the bounds (peak, loudest passage) only grow as more is measured
                deck.level = None if result.error else result.level
            deck.norm_final = result.final or bool(result.error)
        self._update_reference(now)

    def play_session(self, paths: list[Path]) -> None:
        """The tracks of the session (its playlist): the reference keeps them all even."""
        self._session, self._revision = list(paths), -1

    def _update_reference(self, now: float) -> None:
        """Lower (or restore) the session's reference as its tracks' figures arrive: a glide."""
        revision = self._read().levels_revision()
        if revision == self._revision:
            return
        self._revision = revision
        known = self._read().final_levels(self._session + [d.source.path for d in self.live()])
        if self.reference.follow(now, known):
            log.info("session reference %+.1f dB: its quietest track cannot be heard louder", self.reference.target_db)

    # --- gains -------------------------------------------------------------------------
    def gain(self, deck: Deck, now: float, gate_db: float | None, master_db: float) -> float | None:
        """Digital gain of `deck` now (None = muted): the level model's, for its heard level.

        Heard = master + trim + reference + fader (+ mix fader), at most the cap; the gain adds
        the normalization need within the track's headroom (player/core/level_model.py).
        """
        if deck.state not in (DeckState.AUDIBLE, DeckState.FADING_OUT):
            return None
        fader = deck.fader_db(now)
        if deck.gated:
            fader = None if fader is None or gate_db is None else fader + gate_db
        heard = heard_level_db(master_db, deck.source.trim_db, self.reference.value(now), fader, self.limits.cap_db)
        return deck_gain_db(deck.level, heard, self.limits, need_db=deck.norm.value(now))

    def apply(self, now: float, gate_db: float | None, master_db: float) -> None:
        for deck in self.live():
            gain = self.gain(deck, now, gate_db, master_db)
            percent = db_to_vlc_percent(gain, self.limits.max_boost_db)
            if percent != deck.percent:
                self._commands.append(SetGain(deck.slot, gain))
                deck.percent = percent

    def percent_at(self, deck: Deck, t: float, gate_db: float | None, master_db: float) -> int:
        return db_to_vlc_percent(self.gain(deck, t, gate_db, master_db), self.limits.max_boost_db)


@dataclass
class Plan:
    """What follows the current deck (None: fade to silence at its end), and the crossfade; with no
    current deck, what enters as soon as a deck is free."""

    source: Source | None
    crossfade_s: float


class Mix:
    """What plays: the decks and their roles, the plan, the mix fader, the master; and the moves on them."""

    def __init__(self, volume: VolumeConfig, audio: AudioConfig, limits: LevelLimits) -> None:
        self.commands: list[OutputCommand] = []
        self.slots = DeckSlots(self.commands, limits, latency_s=audio.latency_s)
        self.master = MasterLevel(volume, limits.cap_db)
        self.volume = volume
        self.device = DeviceWatch(audio.device_retry_max_s)
        self.mode: Mode = "silent"
        self.fade_kind = ""
        self.current: Deck | None = None
        self.next: Deck | None = None
        self.plan: Plan | None = None
        self.pending: tuple[Source, float] | None = None   # a crossfade waiting for a free deck
        self.held: Source | None = None                    # what comes back after a device loss or a pause
        self.held_heard = False                            # ...and whether the patient heard it before
        self.needs_sent = False
        self.xfade_hint = DEFAULT_CROSSFADE_S
        self.gate: Ramp | float | None = None   # the mix fader: None = closed (silent), 0.0 = open
        self.gate_in_s: float | None = None     # the mix fades in over this once the entering deck is ready
        self.device_ok = True
        self.fade_done_at = 0.0                 # a pause/stop fade is over (and heard) then
        self._events: list[MixerEvent] = []


    def __repr__(self) -> str:
        return f"<Mix {self.mode} current={self.current} next={self.next}>"

    # --- levels ------------------------------------------------------------------------
    def gate_db(self, t: float) -> float | None:
        gate = self.gate
        return gate.value(t) if isinstance(gate, Ramp) else gate

    def gate_left_s(self, now: float) -> float:
        gate = self.gate
        return max(0.0, gate.duration_s - (now - gate.t0)) if isinstance(gate, Ramp) else 0.0

    def floor_rel(self, now: float) -> float:
        """Where a fader starts or ends a fade: the total level (before normalization) at volume.floor_db."""
        return self.volume.floor_db - self.master.value(now)

    def gain(self, deck: Deck, now: float) -> float | None:
        return self.slots.gain(deck, now, self.gate_db(now), self.master.value(now))

    def heard_db(self, now: float) -> float | None:
        """What is heard, relative to the loudness target at 0 dB (the decks' powers summed), None = silence."""
        power = 0.0
        for deck in self.slots.live():
            gain = self.gain(deck, now)
            if gain is not None:
                power += 10 ** ((gain - deck.norm.value(now)) / 10)
        return 10 * math.log10(power) if power > 0 else None

    def apply(self, now: float) -> None:
        self.slots.apply(now, self.gate_db(now), self.master.value(now))

    # --- events ------------------------------------------------------------------------
    def emit(self, what: str, source: Source | None = None, /, **detail: object) -> None:
        self._events.append(MixerEvent(what, source, dict(detail)))  # type: ignore[arg-type]

    def emit_ended(self, deck: Deck) -> None:
        """track_ended, once, for a deck that was heard and did not fail."""
        if deck.heard and not deck.failure and not deck.end_reported:
            deck.end_reported = True
            self.emit("track_ended", deck.source)

    def take(self) -> tuple[list[OutputCommand], list[MixerEvent]]:
        """The output commands and the events of the step just made."""
        commands, events = list(self.commands), self._events
        self.commands.clear()
        self._events = []
        return commands, events

    # --- moves -------------------------------------------------------------------------
    def replan(self, deck: Deck) -> None:
        """A planned deck dropped before it was heard (a pause, a lost device): planned again, loaded later."""
        self.plan = Plan(deck.source, deck.cue.length_s)

    def stop(self, deck: Deck | None) -> None:
        """Stop a deck and forget its role (it was faded first, or never heard)."""
        if deck is None:
            return
        self.slots.stop(deck)
        if deck is self.current:
            self.current = None
        if deck is self.next:
            self.next = None

    def enter_fresh(self, now: float, source: Source, fade_s: float) -> None:
        """Start over from silence with `source`: the mix fades in over `fade_s` once it is ready."""
        self.current = self.next = None
        self.plan, self.pending, self.needs_sent = None, None, False
        self.gate, self.gate_in_s = None, fade_s
        self.start_current(source, now, Cue("enter", fade_s))

    def start_current(self, source: Source, now: float, cue: Cue) -> None:
        """Load `source` as the current deck, to enter (from silence, or into a gap)."""
        if not self.device_ok:
            self.held, self.held_heard = source, cue.kind == "resume"
            return
        if self.slots.free_slot() is None:   # every deck still fading out (quick skips, a stop, a start):
            self.plan = Plan(source, cue.length_s)   # it starts as the first one lets go, never cut short
            return
        gap = self.gate is not None and self.gate_in_s is None   # the mix is open: the patient hears a gap
        self.current = self.load(source, now, cue, URGENT_SETTLE_S if gap else PREROLL_S)

    def load(self, source: Source, now: float, cue: Cue, settle_s: float) -> Deck | None:
        try:
            return self.slots.load(source, now, cue, settle_s)
        except LoadFailed as exc:
            self._load_failed(source, cue, str(exc))
            return None

    def load_refused(self, refused: LoadRefused) -> None:
        """The output could not load a deck `load` asked for: as if `load` had failed."""
        deck = self.slots.by_slot(refused.slot)
        if deck is None or deck.load_token != refused.token:
            return
        self.slots.release(deck.slot)
        if deck is self.current:
            self.current = None
        if deck is self.next:
            self.next = None
        self._load_failed(deck.source, deck.cue, refused.reason)

    def _load_failed(self, source: Source, cue: Cue, reason: str) -> None:
        log.warning("cannot start %s: %s", source.path, reason)
        self.emit("track_failed", source, reason=reason)
        self.ask_for_track(source, now=cue.kind == "now")

    def enter_now(self, deck: Deck, now: float) -> None:
        """The entering deck is ready: the mix fades in with it, or (into a gap) it fades in alone."""
        deck.fire("cue")
        if self.gate_in_s is not None:
            deck.fader = 0.0
            self.gate = Ramp(None, 0.0, now, self.gate_in_s, self.floor_rel(now))
            self.gate_in_s = None
        else:
            deck.fader = CrossfadeRamp(True, now, max(deck.cue.length_s, FAILED_FADE_S), self.floor_rel(now))
        if deck.cue.kind != "resume":                 # a resumed track goes on: it did not start again
            self.emit("track_started", deck.source)
        self.needs_sent = self.plan is not None

    def crossfade_length(self, now: float, length_s: float) -> float:
        """The crossfade into `next` now, fitted to both tracks as heard (`crossfade.fit_crossfade`)."""
        nxt, cur = self.next, self.current
        assert nxt is not None
        cur_left = self.slots.remaining(cur, now) if cur is not None else None
        return fit_crossfade(length_s, cur_left, self.slots.remaining(nxt, now))

    def crossfade(self, now: float, length_s: float) -> None:
        """Equal-power from the current deck into the next one (see `crossfade_length`)."""
        nxt, cur = self.next, self.current
        assert nxt is not None
        length = self.crossfade_length(now, length_s)
        if cur is not None and cur.is_sounding:
            level = cur.fader_db(now)
            cur.fader = CrossfadeRamp(False, now, length, self.floor_rel(now),
                                      from_db=self.floor_rel(now) if level is None else level)
            if cur.state is DeckState.AUDIBLE:
                cur.fire("fade_out")
        elif cur is not None:
            self.slots.stop(cur)
        nxt.fire("cue")
        nxt.fader = CrossfadeRamp(True, now, length, self.floor_rel(now))
        self.current, self.next = nxt, None
        self.emit("track_started", nxt.source)
        self.needs_sent = self.plan is not None

    def current_gone(self, now: float, source: Source) -> None:
        """The current deck ended or failed: the next one enters at once, or the queued one, or ask."""
        self.current = None
        if self.mode != "playing":
            return
        nxt = self.next
        if nxt is not None:
            self.current, self.next = nxt, None
            nxt.cue = Cue("enter", nxt.cue.length_s)
            nxt.settle_s = min(nxt.settle_s, URGENT_SETTLE_S)
            if nxt.state is DeckState.READY:
                self.enter_now(nxt, now)
        elif self.plan is None:
            self.ask_for_track(source)

    def ask_for_track(self, after: Source, *, now: bool = False) -> None:
        """Ask the engine for what follows `after` (``now``: a skip's target failed: skip again)."""
        if self.mode != "playing":
            return
        self.needs_sent, self.plan = True, None
        self.emit("needs_track", after, **({"now": True} if now else {}))

    # --- what the shell reads ----------------------------------------------------------
    def activity(self) -> str:
        """For staff: silent, preparing (pre-roll and measurement before the first sound), playing, ..."""
        m = self
        if not m.device.ok:
            return "device lost"
        if m.mode == "playing" and not any(d.is_sounding for d in m.slots.live()):
            return "preparing" if m.current is not None else "silent"
        return m.mode

    def idle_s(self, now: float) -> float:
        """How long the shell may wait before the next tick without coarsening anything.

        libVLC's volume is an integer percent, so a fade changes it only every so often: this
        looks ahead in 20 ms steps for the next change of any deck's percent or the end of any
        ramp (20 ms up to a second). Steady playback ticks once a second (each tick is CPU the
        audio could use on a small Pi, issue 23): a stalled stream is then seen at most
        `audio.stall_timeout_s` + 1 s after its last progress, and the wait never runs past the
        moment to ask for the next track, the next device probe, a faded deck's release or the
        heard end of a pause or stop fade.
        """
        m = self
        decks = m.slots.live()
        if any(d.state in (DeckState.LOADING, DeckState.PREROLL) for d in decks):
            return TICK_S
        wait = IDLE_TICK_S
        if m.current is not None and m.mode == "playing" and m.current.is_sounding:
            rem = m.slots.remaining(m.current, now)
            if rem is not None:
                lead = (m.plan.crossfade_s if m.plan else m.xfade_hint) + PREROLL_LEAD_S
                wait = min(wait, max(TICK_S, rem - lead - IDLE_TICK_S))
        due = [d.drain_until for d in decks if d.state is DeckState.DRAINING]   # a faded deck lets go
        if m.mode in ("pausing", "stopping"):
            due.append(m.fade_done_at)                  # the fade's end is heard: paused, stopped
        wait = max(TICK_S, min(wait, m.device.next_check - now, *(t - now for t in due)))
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
