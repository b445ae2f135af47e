"""Phase arithmetic: exact, pause-aware, extend- and advance-aware."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.core.timeline import Timeline

NAMES = ("settling", "onset", "peak", "comedown", "recovery")
DURS = (600.0, 900.0, 1200.0, 1200.0, 2400.0)


def test_plan_is_back_to_back() -> None:
    tl = Timeline.start(NAMES, DURS)
    assert tl.planned() == [(0, 600), (600, 1500), (1500, 2700), (2700, 3900), (3900, 6300)]
    assert tl.projected_end_s(0) == 6300


def test_pause_extends_the_current_phase_and_shifts_the_rest() -> None:
    tl = Timeline.start(NAMES, DURS).pause(100.0)
    assert not tl.due(10_000)
    assert tl.projected_end_s(220.0) == 6420.0
    tl, paused = tl.resume(220.0)
    assert paused == 120.0 and tl.phase_end_s == 720.0
    spans = tl.spans(300.0)
    assert (spans[1].expected_start_s, spans[1].expected_end_s) == (720.0, 1620.0)
    assert (spans[1].planned_start_s, spans[1].planned_end_s) == (600.0, 1500.0)


def test_extend_and_advance() -> None:
    tl = Timeline.start(NAMES, DURS).extend(300.0)
    assert tl.phase_end_s == 900.0
    tl = tl.next_phase(450.0)
    assert (tl.phase, tl.phase_start_s, tl.phase_end_s, tl.actual) == ("onset", 450.0, 1350.0, ((0.0, 450.0),))


def test_last_phase_cannot_advance() -> None:
    tl = Timeline.start(("only",), (60.0,))
    assert tl.is_last
    with pytest.raises(ValueError):
        tl.next_phase(10.0)


@pytest.mark.parametrize("names,durs", [((), ()), (("a",), (0.0,)), (("a", "b"), (1.0,)), (("a",), (-5.0,))])
def test_bad_plans_refused(names, durs) -> None:
    with pytest.raises(ValueError):
        Timeline.start(names, durs)


def test_round_trip_and_inconsistent_saved_state() -> None:
    tl = Timeline.start(NAMES, DURS).next_phase(600.0).extend(60.0).pause(700.0)
    assert Timeline.from_dict(tl.to_dict()) == tl
    bad = tl.to_dict() | {"index": 4}
    with pytest.raises(ValueError):
        Timeline.from_dict(bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["pause", "resume", "extend", "advance", "wait"]),
                          st.floats(0.001, 5000.0)), max_size=30))
def test_boundaries_are_exact_sums(ops) -> None:
    """Whatever staff do, each phase ends at start + duration + extensions + pauses, exactly."""
    tl = Timeline.start(NAMES, DURS)
    now = 0.0
    expected_end = DURS[0]
    paused_at = None
    for op, x in ops:
        if op == "wait":
            now += x
            while tl.due(now) and not tl.is_last:
                assert tl.phase_end_s == expected_end
                at = tl.phase_end_s
                tl = tl.next_phase(at)
                expected_end = at + DURS[tl.index]
        elif op == "pause" and paused_at is None:
            tl, paused_at = tl.pause(now), now
        elif op == "resume" and paused_at is not None:
            tl, paused = tl.resume(now)
            assert paused == now - paused_at
            expected_end += paused
            paused_at = None
        elif op == "extend":
            tl = tl.extend(x)
            expected_end += x
        elif op == "advance" and not tl.is_last and paused_at is None:
            tl = tl.next_phase(now)
            expected_end = now + DURS[tl.index]
        assert tl.phase_end_s == expected_end
