"""The mixer's transport: play, crossfade, pause, resume, stop, by the table in modes.py.

Each command is looked up in `player.audio.modes.MODE_TRANSITIONS`, which names the next
mode and the action; the actions are the `_act_*` methods here. The whole mix fades
through the mix fader (`Mix.gate`): pause, stop and emergency fade it to silence and
resume brings it back, so decks in the middle of a crossfade fade with everything else.
"""

from __future__ import annotations

from player.audio.mix import PREROLL_S, URGENT_SETTLE_S, Mix, Plan
from player.audio.modes import Command, transition
from player.core.deck import Cue, DeckState
from player.core.gain import Ramp
from player.core.media import Source


class Transport:
    def __init__(self, mix: Mix, output) -> None:
        self._m = mix
        self._out = output

    def command(self, command: Command, source: Source | None = None, fade_s: float = 0.0, kind: str = "") -> None:
        m = self._m
        now = m.clock.monotonic()
        m.mode, action = transition(m.mode, command)
        if kind:
            m.fade_kind = kind
        getattr(self, f"_act_{action}")(now, source, fade_s)

    def faded(self) -> None:
        """The mix fader reached silence (or nothing is left to fade)."""
        self.command("faded")

    def _act_none(self, now: float, source: Source | None, fade_s: float) -> None:
        pass

    def _act_enter(self, now: float, source: Source | None, fade_s: float) -> None:
        """From silence or paused: drop what is held, and fade the mix in with `source`."""
        assert source is not None
        for deck in self._m.slots.live():
            self._m.stop(deck)
        self._m.enter_fresh(now, source, fade_s)

    def _act_replace(self, now: float, source: Source | None, fade_s: float) -> None:
        """Playing: crossfade into `source` if music is heard; else enter with it (keeping a start fade)."""
        assert source is not None
        m = self._m
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

    def _act_detach_and_enter(self, now: float, source: Source | None, fade_s: float) -> None:
        """A start while the mix fades out: the old decks finish that fade on their own, the new one comes in."""
        assert source is not None
        m = self._m
        left = m.gate_left_s(now)
        for deck in m.slots.live():
            if deck.is_sounding:
                level = deck.fader_db(now)
                gate = m.gate_db(now)
                start = None if level is None or gate is None else level + gate
                deck.fader, deck.gated = Ramp(start, None, now, left, m.floor_rel()), False
                if deck.state is DeckState.AUDIBLE:
                    deck.fire("fade_out")
            else:
                m.stop(deck)
        m.enter_fresh(now, source, fade_s)

    def _act_fade_out(self, now: float, source: Source | None, fade_s: float) -> None:
        """Pause, stop, emergency: the whole mix fades to silence (a faster fade wins)."""
        m = self._m
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
        m.gate = Ramp(m.gate_db(now), None, now, max(0.0, fade_s), m.floor_rel())
        m.gate_in_s = None
        m.fade_done_at = now + max(0.0, fade_s) + m.slots.latency_s
        if not m.slots.live():
            self.faded()

    def _act_fade_back(self, now: float, source: Source | None, fade_s: float) -> None:
        m = self._m
        m.gate = Ramp(m.gate_db(now), 0.0, now, fade_s, m.floor_rel())

    def _act_resume_decks(self, now: float, source: Source | None, fade_s: float) -> None:
        m = self._m
        cur = m.current
        m.gate, m.gate_in_s = None, fade_s
        if cur is None:
            if m.held is not None:
                held, m.held = m.held, None
                m.start_current(held, now, Cue("resume", fade_s))
            return
        self._out.play(cur.slot)
        cur.fire("resume")
        cur.restart_clock(now, URGENT_SETTLE_S)
        cur.cue, cur.fader = Cue("resume", fade_s), 0.0

    def _act_hold(self, now: float, source: Source | None, fade_s: float) -> None:
        m = self._m
        for deck in m.slots.live():
            if deck is m.current and deck.state is DeckState.AUDIBLE:
                self._out.pause(deck.slot)
                deck.fire("pause")
            else:
                m.stop(deck)
                m.emit_ended(deck)
        m.emit("fade_finished", kind=m.fade_kind)

    def _act_release(self, now: float, source: Source | None, fade_s: float) -> None:
        m = self._m
        for deck in m.slots.live():
            m.stop(deck)
            m.emit_ended(deck)
        m.plan, m.pending, m.held, m.gate = None, None, None, None
        m.emit("fade_finished", kind=m.fade_kind)

    def _act_already_silent(self, now: float, source: Source | None, fade_s: float) -> None:
        if self._m.mode == "silent":
            self._m.held = None
        self._m.emit("fade_finished", kind=self._m.fade_kind)
