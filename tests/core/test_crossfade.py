"""Every crossfade length decision (player/core/crossfade.py), at its edges."""

from __future__ import annotations

from player.core.crossfade import PREROLL_LEAD_S, CrossfadePlan, fit_crossfade, plan_crossfade


def test_a_planned_crossfade_keeps_the_asked_length_between_long_tracks() -> None:
    assert plan_crossfade(8.0, 300.0, 300.0, 1.5) == CrossfadePlan(8.0, 8.0 + PREROLL_LEAD_S)


def test_a_planned_crossfade_takes_at_most_half_the_outgoing_track() -> None:
    assert plan_crossfade(8.0, 10.0, None, 0.0).length_s == 5.0
    assert plan_crossfade(-1.0, 10.0, None, 0.0).length_s == 0.0


def test_a_planned_crossfade_takes_at_most_half_of_what_the_pre_roll_and_latency_leave_of_the_incoming() -> None:
    plan = plan_crossfade(8.0, 300.0, 14.0, 1.5)
    assert plan.length_s == (14.0 - PREROLL_LEAD_S - 1.5) / 2
    assert plan.lead_s == plan.length_s + PREROLL_LEAD_S
    assert plan_crossfade(8.0, 300.0, 2.0, 1.5).length_s == 0.0        # nothing left of it: no fade
    assert plan_crossfade(8.0, 300.0, 0.0, 1.5).length_s == 8.0        # an unknown (0 s) length does not shorten it


def test_a_crossfade_beginning_now_ends_by_the_outgoing_end_and_takes_half_the_incoming_rest() -> None:
    assert fit_crossfade(8.0, None, None) == 8.0
    assert fit_crossfade(8.0, 3.0, None) == 3.0
    assert fit_crossfade(8.0, -1.0, None) == 0.0
    assert fit_crossfade(8.0, None, 6.0) == 3.0
    assert fit_crossfade(8.0, None, -2.0) == 0.0
    assert fit_crossfade(8.0, 5.0, 6.0) == 3.0
