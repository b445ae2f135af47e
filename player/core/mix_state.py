"""The state of the mix (`Mix`): the decks and their roles, the plan, the mix fader, the master;
and the three output slots the decks play on (`DeckSlots`).

`MixMachine` (player/core/mix.py, with the transport) and the sequencer (mix_sequencer.py)
make their moves on it through the primitives here. Roles are
references, not flags: `current` is what the session hears as "the track" (or the deck
entering from silence), `next` the deck pre-rolling to crossfade in; any other live deck is
on its way out. What the output must do is queued in `commands`, what the session must hear
of in the events; `take` hands both over after each step. Pure: no I/O, no clock.

`DeckSlots` loads a source on a free slot (muted, playing: the pre-roll), stops decks,
reads positions, settles each deck's normalization from the loudness figures, and pushes
the digital gains out, all as output commands (player/core/mix_commands.py) the shell
performs. It knows nothing of roles or crossfades: that is the `Mix`'s policy. What it
reads comes through the step's `Readings`. It lives here, with the `Mix` that owns it, so
a load (a press, a crossfade) goes from the machine to its output command in two modules.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.crossfade import PREROLL_LEAD_S, fit_crossfade
from player.core.deck import Cue, Deck, DeckState
from player.core.device_watch import DeviceWatch
from player.core.gain import CrossfadeRamp, Glide, Ramp, db_to_vlc_percent
from player.core.level_model import LevelLimits, SessionReference, deck_gain_db, heard_level_db
from player.core.levels import MasterLevel
from player.core.media import DECKS, DeckName, GainResult, MixerEvent, Source
from player.core.mix_commands import (
    LoadDeck,
    LoadRefused,
    Measure,
    OutputCommand,
    Readings,
    ReleaseDeck,
    SetGain,
)
from player.core.mix_modes import Mode

if TYPE_CHECKING:   # settings come in as values; the core never reads the config
    from player.config import AudioConfig, VolumeConfig

log = logging.getLogger(__name__)

PREROLL_S = 2.0             # a new stream plays muted this long (after it advances) before it may be heard
URGENT_SETTLE_S = 0.3       # the pre-roll when the patient hears silence now (after a failure), or on resume
FAILED_FADE_S = 0.5         # a deck that fails while heard fades out this fast (never cut)
DEFAULT_CROSSFADE_S = 8.0
TICK_S = 0.02               # while anything ramps, the engine should tick this often
IDLE_TICK_S = 0.5           # steady playback: ticking this often is enough (stalls are 1.5 s)
NORM_GLIDE_DB_PER_S = 0.5   # a measurement arriving for a heard deck moves its level this slowly


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
    """What follows the current deck (None: fade to silence at its end), and the crossfade."""

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
            self.held = source
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
        ramp (20 ms to 250 ms). Steady playback ticks 4 times a second.
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
