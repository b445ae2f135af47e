"""One deck: the life of one loaded source, as an explicit state machine.

A deck is created when the mixer loads a source on a free output slot and is thrown away
when it reaches `IDLE` (stopped, its slot free again) or `FAILED`. Every change of state
goes through `DECK_TRANSITIONS`; an event a state does not accept is a bug in the mixer
and raises `DeckError` (tests walk every pair). The deck itself does no I/O: the mixer
reads the output's position and feeds it to `observe`, which answers with the event the
reading implies ("started", "stalled", ...), and the mixer performs the output calls.

States::

    LOADING ─started─▶ PREROLL ─settled─▶ READY ─cue─▶ AUDIBLE ─fade_out─▶ FADING_OUT ─faded─▶ DRAINING ─drained─▶ IDLE
       │                  │                │             │ pause
       └─── fail/ended ───┴───── fail ─────┴─▶ FAILED    └───────▶ PAUSED ─resume─▶ PREROLL

Stream starts in libVLC are not clean (the first second may be dropped or delayed), so a
deck is muted from LOADING to READY: it must report Playing, its time must advance, and it
must have played `settle_s` (the pre-roll) before it may be heard. And what a deck has
handed the output is heard only the output's latency later (1.3 s through PulseAudio),
while stopping a deck drops it: so a faded deck plays on muted (DRAINING) that long
before it is stopped, or the last of its fade would be cut off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from player.core.gain import CrossfadeRamp, Glide, Ramp
from player.core.level_model import TrackLevel
from player.core.media import DeckName, Source

MAX_EXTRAPOLATION_S = 1.0  # never guess further than this past libVLC's last time report
POSITION_POLL_S = 0.1      # libVLC updates its time only every ~250 ms; in between we interpolate
PREROLL_S = 2.0            # a new stream plays muted this long (after it advances) before it may be heard
URGENT_SETTLE_S = 0.3      # the pre-roll when the patient hears silence now (after a failure), or on resume
FAILED_FADE_S = 0.5        # a deck that fails while heard fades out this fast (never cut)


class DeckError(RuntimeError):
    """The mixer asked a deck for a transition its state does not allow (a bug)."""


class DeckState(StrEnum):
    LOADING = "loading"          # load + play sent; waiting for Playing and the first advance
    PREROLL = "pre-rolling"      # playing muted for its settle time (and until its loudness is known)
    READY = "ready"              # pre-rolled, still muted, waiting for its cue
    AUDIBLE = "audible"          # its fader is up (fading in, steady, or crossfading in)
    FADING_OUT = "fading-out"    # on its way to silence
    DRAINING = "draining"        # faded; plays on muted until the output has played the fade's end
    PAUSED = "paused"            # held by the output at silence (session paused)
    FAILED = "failed"            # could not be played; released
    IDLE = "idle"                # stopped; its slot is free


DeckEvent = Literal["started", "settled", "cue", "fade_out", "faded", "drained", "pause", "resume", "fail", "ended",
                    "stop"]

_S = DeckState
DECK_TRANSITIONS: dict[tuple[DeckState, str], DeckState] = {
    (_S.LOADING, "started"): _S.PREROLL,
    (_S.PREROLL, "settled"): _S.READY,
    (_S.READY, "cue"): _S.AUDIBLE,
    (_S.AUDIBLE, "fade_out"): _S.FADING_OUT,
    (_S.FADING_OUT, "fade_out"): _S.FADING_OUT,   # a faster fade replaces a slower one
    (_S.FADING_OUT, "faded"): _S.DRAINING,
    (_S.DRAINING, "drained"): _S.IDLE,
    (_S.AUDIBLE, "pause"): _S.PAUSED,
    (_S.PAUSED, "resume"): _S.PREROLL,
    # A track that cannot be played. Heard: it fades out quickly (never cut); else released.
    (_S.LOADING, "fail"): _S.FAILED,
    (_S.PREROLL, "fail"): _S.FAILED,
    (_S.READY, "fail"): _S.FAILED,
    (_S.AUDIBLE, "fail"): _S.FADING_OUT,
    (_S.FADING_OUT, "fail"): _S.IDLE,
    (_S.DRAINING, "fail"): _S.IDLE,
    (_S.PAUSED, "fail"): _S.FAILED,
    # The media ran out: normal when heard; a failure before it was ever heard.
    (_S.AUDIBLE, "ended"): _S.IDLE,
    (_S.FADING_OUT, "ended"): _S.IDLE,
    (_S.DRAINING, "ended"): _S.IDLE,
    (_S.LOADING, "ended"): _S.FAILED,
    (_S.PREROLL, "ended"): _S.FAILED,
    (_S.READY, "ended"): _S.FAILED,
}
for _state in (_S.LOADING, _S.PREROLL, _S.READY, _S.AUDIBLE, _S.FADING_OUT, _S.DRAINING, _S.PAUSED):
    DECK_TRANSITIONS[(_state, "stop")] = _S.IDLE

#: States in which the deck may be heard (its fader is up).
SOUNDING = frozenset({_S.AUDIBLE, _S.FADING_OUT})


@dataclass(frozen=True)
class Cue:
    """What a deck does when it is READY, decided when it was loaded (no stored callbacks).

    * ``enter``: nothing else is heard: come in at once (the mix's own fade, or a fade of
      `length_s` after a gap).
    * ``now``: crossfade from the current deck at once (staff skip, a phase change).
    * ``planned``: crossfade so that the current deck ends exactly at the end of the fade.
    * ``resume``: the session resumes after a pause: come back in place (the mix fades in).
    """

    kind: Literal["enter", "now", "planned", "resume"]
    length_s: float = 0.0


Fader = Ramp | CrossfadeRamp | float | None


@dataclass
class Deck:
    """One loaded source on one output slot. Engine thread only; no I/O.

    Attributes:
        slot: the output deck it plays on.
        source: what it plays.
        load_token: the output's token for this load (events of older loads are ignored).
        started_at: clock time of output.play() (or of the resume).
        settle_s: how long it must play muted before it may be heard.
        cue: what to do once READY.
        fader: its own fader in dB (0 = full, None = muted); fades and crossfades move it.
        norm: its normalization need (target - loudness), gliding when a measurement arrives while heard.
        level: its loudness figures (the level model's bounds: true peak, loudest passage), None unknown.
        norm_final: whether `norm` is the final measurement (not provisional).
    """

    slot: DeckName
    source: Source
    load_token: int
    started_at: float
    settle_s: float
    cue: Cue
    norm: Glide
    norm_final: bool = False
    level: TrackLevel | None = None
    state: DeckState = DeckState.LOADING
    fader: Fader = None
    seen_playing: bool = False
    advanced: bool = False
    heard: bool = False
    gated: bool = True                         # the mix fader applies (not to decks left fading on their own)
    last_raw: float | None = None
    anchor: tuple[float, float] | None = None  # (clock, position) when the reported position last changed
    polled_at: float = -math.inf
    percent: int = 0                           # VLC volume last sent (saves a libVLC call per tick)
    failure: str = ""
    drain_until: float = 0.0                   # DRAINING: stop it then
    end_reported: bool = False                 # track_ended was emitted for it

    def __repr__(self) -> str:
        return f"<Deck {self.slot} {self.state} {self.source.name} #{self.source.token}>"

    # --- the state machine ---------------------------------------------------------------
    def fire(self, event: DeckEvent) -> DeckState:
        """Take the transition for `event`; raises DeckError when the state does not allow it."""
        new = DECK_TRANSITIONS.get((self.state, event))
        if new is None:
            raise DeckError(f"deck {self.slot} ({self.source.name}): {event!r} not allowed when {self.state}")
        self.state = new
        if new in SOUNDING:
            self.heard = True
        return new

    def can(self, event: DeckEvent) -> bool:
        return (self.state, event) in DECK_TRANSITIONS

    @property
    def is_sounding(self) -> bool:
        return self.state in SOUNDING

    # --- levels ------------------------------------------------------------------------
    def fader_db(self, now: float) -> float | None:
        f = self.fader
        return f.value(now) if isinstance(f, (Ramp, CrossfadeRamp)) else f

    def fader_done(self, now: float) -> bool:
        f = self.fader
        return not isinstance(f, (Ramp, CrossfadeRamp)) or f.done(now)

    # --- position ----------------------------------------------------------------------
    def position(self, now: float) -> float | None:
        """Interpolated position: libVLC reports time in ~250 ms steps."""
        if self.anchor is None:
            return self.last_raw
        t, pos = self.anchor
        return pos + min(now - t, MAX_EXTRAPOLATION_S)

    def remaining(self, now: float, output_duration_s: float | None) -> float | None:
        duration = self.source.duration_s or output_duration_s
        position = self.position(now)
        if duration is None or position is None:
            return None
        return duration - position

    def wants_poll(self, now: float) -> bool:
        return self.state is not DeckState.PAUSED and now - self.polled_at >= POSITION_POLL_S

    def observe(self, now: float, raw: float | None, *, stall_timeout_s: float, start_timeout_s: float) -> str | None:
        """Take one position reading; return the event it implies, if any.

        Returns:
            "started" (it plays and advances), "settled" (pre-rolled long enough: the mixer
            still checks its loudness before firing it), "stalled" or "no_start", or None.
        """
        self.polled_at = now
        if raw is not None and raw != self.last_raw:
            if self.last_raw is not None and raw > self.last_raw:
                self.advanced = True
            self.anchor = (now, raw) if self.advanced else None
            self.last_raw = raw
        moved_at = self.anchor[0] if self.anchor else self.started_at
        if self.state is DeckState.LOADING:
            if self.advanced and self.seen_playing:
                return "started"
            if now - self.started_at > start_timeout_s + self.settle_s:
                return "no_start"
        elif self.state is DeckState.PREROLL:
            if now - self.started_at >= self.settle_s:
                return "settled"
            if now - moved_at > stall_timeout_s:
                return "stalled"
        elif self.state in (DeckState.READY, DeckState.AUDIBLE) and now - moved_at > stall_timeout_s:
            return "stalled"
        return None

    def restart_clock(self, now: float, settle_s: float) -> None:
        """After a resume: the stream restarts, so it pre-rolls (briefly) again."""
        self.started_at, self.settle_s, self.advanced, self.anchor = now, settle_s, False, None
