"""The mix's sequencer: what each tick and each output event does to the decks.

Pre-rolls become ready (once their loudness is known), the track to come is asked for,
pre-rolled and crossfaded in so that the outgoing track ends exactly at the end of the fade,
fades end, and failures are skipped: a deck that cannot open, decode or keep playing is
replaced by the next one at once, heard decks fade out in 0.5 s (never cut), and the
device is watched (lost: everything stops and what played is remembered; back: it fades
in again where it was). Pure: it reads through the step's `Readings` and sends commands.

It works on the `Mix` that `MixMachine` (player/core/mix.py) hands it, through the `Mix`'s
own moves, and never imports mix.py at run time (mix.py drives it: that would be a circle).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Protocol

from player.core.crossfade import PREROLL_LEAD_S, plan_crossfade
from player.core.deck import FAILED_FADE_S, PREROLL_S, Cue, Deck, DeckState
from player.core.gain import Ramp
from player.core.media import Source
from player.core.mix_modes import Command

if TYPE_CHECKING:   # annotations only: settings come in as values, and mix.py (the `Mix`) imports this module
    from player.config import AudioConfig, VolumeConfig
    from player.core.mix import Mix

log = logging.getLogger(__name__)

NEEDS_TRACK_MARGIN_S = 10.0  # needs_track comes this much earlier than the pre-roll must start
PREPARE_MAX_S = 10.0         # a start from silence waits at most this long for a loudness figure
URGENT_WAIT_S = 0.5          # ...and a deck filling a silence this long
START_TIMEOUT_CAP_S = 2.0    # a deck that never advances fails after min(stall_timeout_s, this)


class Transport(Protocol):
    """The transport's moves the sequencer makes (`MixMachine` is the one)."""

    def command(self, m: Mix, now: float, command: Command, source: Source | None = None, fade_s: float = 0.0,
                kind: str = "") -> None: ...

    def faded(self, m: Mix, now: float) -> None: ...


class Sequencer:
    """Each tick's and each output event's moves on a `Mix` (no state of its own)."""

    def __init__(self, transport: Transport, audio: AudioConfig, volume: VolumeConfig) -> None:
        self._transport = transport
        self._audio = audio
        self._volume = volume

    # --- each tick ------------------------------------------------------------------------
    def tick(self, m: Mix, now: float) -> None:
        if m.device.due(now):
            self._check_device(m, now)
        for deck in m.slots.live():
            if deck.wants_poll(now):
                self._observe(m, deck, now)
        m.slots.update_norms(now)
        self._schedule(m, now)
        self._finish_fades(m, now)

    def _observe(self, m: Mix, deck: Deck, now: float) -> None:
        stall = self._audio.stall_timeout_s
        signal = deck.observe(now, m.slots.read_position(deck), stall_timeout_s=stall,
                              start_timeout_s=min(stall, START_TIMEOUT_CAP_S))
        if signal == "started":
            deck.fire("started")
        elif signal == "settled" and m.slots.settle_norm(deck, must_go=self._must_go(m, deck, now)):
            deck.fire("settled")
            if deck is m.current:
                m.enter_now(deck, now)
            elif deck is m.next and deck.cue.kind == "now":
                m.crossfade(now, deck.cue.length_s)
        elif signal == "no_start":
            self.failed(m, deck, now, "did not start playing")
        elif signal == "stalled":
            self.failed(m, deck, now, f"stalled: no progress for {stall:g} s")

    def _must_go(self, m: Mix, deck: Deck, now: float) -> bool:
        """Whether a pre-rolled deck must be heard now, its loudness measured or not."""
        if deck.cue.kind == "resume":
            return True
        if deck.cue.kind == "planned" and m.current is not None:
            rem = m.slots.remaining(m.current, now)
            return rem is not None and rem <= deck.cue.length_s
        gap = m.current is None or (deck is m.current and m.gate is not None and m.gate_in_s is None)
        return now - deck.started_at - deck.settle_s >= (URGENT_WAIT_S if gap else PREPARE_MAX_S)

    def _schedule(self, m: Mix, now: float) -> None:
        """What follows the current deck: ask for it, pre-roll it, crossfade into it, or fade to silence."""
        if m.mode != "playing" or not m.device.ok:
            return
        if m.pending is not None and m.slots.free_slot() is not None:
            (source, length), m.pending = m.pending, None
            self._transport.command(m, now, "crossfade", source, length)
        cur = m.current
        if cur is None:
            if m.plan is not None and m.plan.source is not None and m.next is None \
                    and m.slots.free_slot() is not None:
                plan, m.plan = m.plan, None
                m.start_current(plan.source, now, Cue("enter", plan.crossfade_s))
            return
        rem = m.slots.remaining(cur, now)
        if not cur.is_sounding or rem is None:
            return
        if m.plan is None and m.next is None and not m.needs_sent \
                and rem <= m.xfade_hint + PREROLL_LEAD_S + NEEDS_TRACK_MARGIN_S:
            m.ask_for_track(cur.source)
        if m.plan is not None and m.next is None:
            self._follow_plan(m, cur, now, rem)
        nxt = m.next
        if nxt is not None and nxt.state is DeckState.READY and nxt.cue.kind == "planned" and cur.fader_done(now) \
                and rem <= m.crossfade_length(now, nxt.cue.length_s) + 0.01:
            m.crossfade(now, nxt.cue.length_s)

    def _follow_plan(self, m: Mix, cur: Deck, now: float, rem: float) -> None:
        """The plan's time has come: pre-roll the track to come, or fade to silence by the current one's end."""
        plan = m.plan
        assert plan is not None
        incoming_s = plan.source.duration_s if plan.source is not None else None
        fade = plan_crossfade(plan.crossfade_s, m.slots.duration(cur), incoming_s, m.slots.latency_s)
        if plan.source is None:
            if rem <= fade.length_s and cur.fader_done(now):  # nothing follows: fade to silence by its end
                m.plan, m.current = None, None
                cur.fader = Ramp(cur.fader_db(now), None, now, max(0.0, rem), m.floor_rel(now))
                cur.fire("fade_out")
        elif rem <= fade.lead_s and m.slots.free_slot() is not None:
            m.plan = None
            m.next = m.load(plan.source, now, Cue("planned", fade.length_s), PREROLL_S)

    def _finish_fades(self, m: Mix, now: float) -> None:
        for deck in m.slots.live():
            if deck.state is DeckState.FADING_OUT and deck.fader_done(now):
                deck.fire("faded")                       # muted now; heard `latency_s` later
                deck.drain_until = now + m.slots.latency_s
                if deck is m.current:
                    m.current = None
                m.emit_ended(deck)
            elif deck.state is DeckState.DRAINING and now >= deck.drain_until:
                deck.fire("drained")
                m.stop(deck)
        gate = m.gate
        if isinstance(gate, Ramp) and gate.done(now):
            if gate.end_db is None and m.mode in ("pausing", "stopping"):
                if now >= m.fade_done_at:                # the output has played the fade's end too
                    self._transport.faded(m, now)
            elif gate.end_db is not None:
                m.gate = 0.0
        if m.gate == 0.0 and m.master.rise_pending and m.current is not None and m.current.is_sounding:
            m.master.rise(now)

    # --- output events ------------------------------------------------------------------
    def failed(self, m: Mix, deck: Deck, now: float, reason: str) -> None:
        log.warning("deck %s: %s: %s", deck.slot, deck.source.path, reason)
        was_current, was_next = deck is m.current, deck is m.next
        deck.failure = reason
        heard = deck.state is DeckState.AUDIBLE
        deck.fire("fail")
        if heard:                                    # heard when it failed: fade it out quickly, never cut
            deck.fader = Ramp(deck.fader_db(now), None, now, FAILED_FADE_S, m.floor_rel(now))
        else:
            m.slots.stop(deck)
        if was_current:
            m.current = None
        if was_next:
            m.next = None
        m.emit("track_failed", deck.source, reason=reason)
        if was_current:
            m.current_gone(now, deck.source)
        elif was_next:
            m.ask_for_track(m.current.source if m.current else deck.source, now=deck.cue.kind == "now")

    def ended(self, m: Mix, deck: Deck, now: float) -> None:
        if not deck.heard:
            self.failed(m, deck, now, "ended before playing (cannot decode?)")
            return
        deck.fire("ended")
        was_current = deck is m.current
        m.stop(deck)
        m.emit_ended(deck)
        if was_current:
            m.current_gone(now, deck.source)
        if m.mode in ("pausing", "stopping") and not m.slots.live():
            self._transport.faded(m, now)

    # --- the device -------------------------------------------------------------------
    def device_lost(self, m: Mix, now: float, reason: str) -> None:
        if not m.device.lost(now):
            return
        m.device_ok = False
        cur = m.current
        if cur is not None and m.mode != "silent":
            where = cur.last_raw if cur.state is DeckState.PAUSED else cur.position(now)
            start = where if cur.heard and where is not None else cur.source.start_s
            m.held, m.held_heard = dataclasses.replace(cur.source, start_s=start), cur.heard
        if m.next is not None and m.next.cue.kind == "planned":
            m.replan(m.next)
        for deck in m.slots.live():
            m.stop(deck)
        m.gate, m.gate_in_s = None, None
        log.warning("audio device lost: %s", reason)
        m.emit("device_lost", reason=reason)

    def _check_device(self, m: Mix, now: float) -> None:
        result = m.device.probed(now, m.slots.probe_device())
        if result == "lost":
            self.device_lost(m, now, "audio device disappeared")
        elif result == "restored":
            log.info("audio device back")
            m.device_ok = True
            m.emit("device_restored")
            if m.held is not None and m.mode == "playing":
                held, m.held = m.held, None
                plan = m.plan
                m.enter_fresh(now, held, self._volume.fade_in_s)
                m.plan = plan
