"""The mix: what the mixer's parts share (roles, plan, mix fader, master), and its primitives.

`Transport` (modes: play, pause, stop...) and `Sequencer` (each tick: pre-rolls, crossfades,
failures, the device) both work on one `Mix`; `Mixer` is the face the engine sees. Roles
are references, not flags: `current` is what the session hears as "the track" (or the deck
entering from silence), `next` the deck pre-rolling to crossfade in; any other live deck is
on its way out. Engine thread only.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from player.audio.modes import Mode
from player.audio.slots import DeckSlots, LoadFailed
from player.clock import Clock
from player.config import VolumeConfig
from player.core.deck import Cue, Deck, DeckState
from player.core.gain import CrossfadeRamp, Ramp
from player.core.levels import MasterLevel
from player.core.media import MixerEvent, Source

log = logging.getLogger(__name__)

PREROLL_S = 2.0             # a new stream plays muted this long (after it advances) before it may be heard
URGENT_SETTLE_S = 0.3       # the pre-roll when the patient hears silence now (after a failure), or on resume
FAILED_FADE_S = 0.5         # a deck that fails while heard fades out this fast (never cut)
DEFAULT_CROSSFADE_S = 8.0


@dataclass
class Plan:
    """What follows the current deck (None: fade to silence at its end), and the crossfade."""

    source: Source | None
    crossfade_s: float


class Mix:
    """The shared state of the mixer's parts, and the moves they all make."""

    def __init__(self, slots: DeckSlots, master: MasterLevel, volume: VolumeConfig, clock: Clock) -> None:
        self.slots = slots
        self.master = master
        self.volume = volume
        self.clock = clock
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

    def floor_rel(self) -> float:
        """Where a fader starts or ends a fade: the total level (before normalization) at volume.floor_db."""
        return self.volume.floor_db - self.master.value(self.clock.monotonic())

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

    def take(self) -> list[MixerEvent]:
        events, self._events = self._events, []
        return events

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
            log.warning("cannot start %s: %s", source.path, exc)
            self.emit("track_failed", source, reason=str(exc))
            self.ask_for_track(source, now=cue.kind == "now")
            return None

    def enter_now(self, deck: Deck, now: float) -> None:
        """The entering deck is ready: the mix fades in with it, or (into a gap) it fades in alone."""
        deck.fire("cue")
        if self.gate_in_s is not None:
            deck.fader = 0.0
            self.gate = Ramp(None, 0.0, now, self.gate_in_s, self.floor_rel())
            self.gate_in_s = None
        else:
            deck.fader = CrossfadeRamp(True, now, max(deck.cue.length_s, FAILED_FADE_S), self.floor_rel())
        if deck.cue.kind != "resume":                 # a resumed track goes on: it did not start again
            self.emit("track_started", deck.source)
        self.needs_sent = self.plan is not None

    def crossfade_length(self, now: float, length_s: float) -> float:
        """The crossfade into `next` now: the asked length, shortened to fit both tracks as heard.

        It ends no later than the current deck's end, and takes at most half of what is left of
        the next one (its pre-roll already played part of it), so that its own fade-out never
        begins before this fade-in has ended: two decks sound at a time, equal-power.
        """
        nxt, cur = self.next, self.current
        assert nxt is not None
        length = length_s
        cur_left = self.slots.remaining(cur, now) if cur is not None else None
        nxt_left = self.slots.remaining(nxt, now)
        if cur_left is not None:
            length = min(length, max(0.0, cur_left))
        if nxt_left is not None:
            length = min(length, max(0.0, nxt_left / 2))
        return length

    def crossfade(self, now: float, length_s: float) -> None:
        """Equal-power from the current deck into the next one (see `crossfade_length`)."""
        nxt, cur = self.next, self.current
        assert nxt is not None
        length = self.crossfade_length(now, length_s)
        if cur is not None and cur.is_sounding:
            level = cur.fader_db(now)
            cur.fader = CrossfadeRamp(False, now, length, self.floor_rel(),
                                      from_db=self.floor_rel() if level is None else level)
            if cur.state is DeckState.AUDIBLE:
                cur.fire("fade_out")
        elif cur is not None:
            self.slots.stop(cur)
        nxt.fire("cue")
        nxt.fader = CrossfadeRamp(True, now, length, self.floor_rel())
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
