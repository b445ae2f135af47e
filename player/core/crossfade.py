"""How long a crossfade is: every length decision of the mix, in one pure module.

A crossfade's length starts as the playlist's (or staff's) figure and is shortened twice:

* when it is *planned* (`plan_crossfade`, as the track to come is queued): at most half of
  the outgoing track, and at most half of what the incoming one has left once its pre-roll
  and the output's latency have taken their share (so its own fade-out never begins before
  this fade-in ends);
* when it *begins* (`fit_crossfade`, with the decks' remaining times as heard): it ends no
  later than the outgoing deck's end and takes at most half of what is left of the incoming
  one (its pre-roll already played part of it). Two decks sound at a time, equal-power.

Pure: durations and remaining times are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

PREROLL_LEAD_S = 2.5         # a planned crossfade's deck starts this long before the fade (pre-roll + margin)


def crossfade_length_s(crossfade_s: float, outgoing_s: float | None, incoming_s: float | None) -> float:
    """Crossfade actually used: the playlist's length, at most half of the shorter track."""
    length = max(0.0, crossfade_s)
    for duration in (outgoing_s, incoming_s):
        if duration is not None and duration > 0:
            length = min(length, duration / 2)
    return length


@dataclass(frozen=True)
class CrossfadePlan:
    """A planned crossfade into the track to come (or, with no track, the fade to silence).

    Attributes:
        length_s: the fade's length.
        lead_s: the incoming deck is loaded (its pre-roll starts) when the outgoing deck has
            this much left to be heard: the fade, plus the pre-roll and a margin.
    """

    length_s: float
    lead_s: float


def plan_crossfade(asked_s: float, outgoing_s: float | None, incoming_s: float | None,
                   latency_s: float) -> CrossfadePlan:
    """The crossfade from a track lasting `outgoing_s` into one lasting `incoming_s` (None: to silence)."""
    length = crossfade_length_s(asked_s, outgoing_s, None)
    if incoming_s:                     # what its pre-roll and the output's latency leave of it, halved
        heard = incoming_s - PREROLL_LEAD_S - latency_s
        length = min(length, max(0.0, heard / 2))
    return CrossfadePlan(length, length + PREROLL_LEAD_S)


def fit_crossfade(length_s: float, outgoing_left_s: float | None, incoming_left_s: float | None) -> float:
    """The crossfade beginning now: `length_s`, ending by the outgoing deck's end, at most half the incoming's rest."""
    length = length_s
    if outgoing_left_s is not None:
        length = min(length, max(0.0, outgoing_left_s))
    if incoming_left_s is not None:
        length = min(length, max(0.0, incoming_left_s / 2))
    return length
