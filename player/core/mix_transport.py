"""The mix's transport: play, crossfade, pause, resume, stop, by the table in mix_modes.py.

Each command is looked up in `player.core.mix_modes.MODE_TRANSITIONS`, which names the next
mode and the `Action`; `Transport` runs it through one dict from action to method. The whole
mix fades through the mix fader (`Mix.gate`): pause, stop and emergency fade it to silence
and resume brings it back, so decks in the middle of a crossfade fade with everything else.
Pure: what the output must do goes out as commands (`PlayDeck`, `PauseDeck`, ...).
"""

from __future__ import annotations

from collections.abc import Callable

from player.core.deck import Cue, DeckState
from player.core.gain import Ramp
from player.core.media import Source
from player.core.mix_commands import PauseDeck, PlayDeck
from player.core.mix_modes import Action, Command, transition
from player.core.mix_state import PREROLL_S, URGENT_SETTLE_S, Mix, Plan

_Act = Callable[[Mix, float, "Source | None", float], None]


class Transport:
    """Runs the mode table's actions on a `Mix` (no state of its own)."""

    def __init__(self) -> None:
        self._actions: dict[Action, _Act] = {
            Action.ENTER: self._enter, Action.REPLACE: self._replace,
            Action.DETACH_AND_ENTER: self._detach_and_enter, Action.FADE_OUT: self._fade_out,
            Action.FADE_BACK: self._fade_back, Action.RESUME_DECKS: self._resume_decks,
            Action.HOLD: self._hold, Action.RELEASE: self._release,
            Action.ALREADY_SILENT: self._already_silent, Action.NONE: self._none,
        }

    def command(self, m: Mix, now: float, command: Command, source: Source | None = None, fade_s: float = 0.0,
                kind: str = "") -> None:
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
