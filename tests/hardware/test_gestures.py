"""The pure gesture and repeat-key machines: every timing edge, with exact timestamps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.hardware.gestures import (
    CANCELLED,
    DECISIONS,
    DOUBLE,
    HOLD_ARMED,
    HOLD_WARNING,
    LONG,
    SINGLE,
    GestureMachine,
    RepeatKey,
    Timing,
)

T = Timing(double_press_s=0.4, long_press_s=2.0, bounce_s=0.02)


def run(edges: list[tuple[str, float]], *, end: float = 100.0, held_at_start: bool = False,
        timing: Timing = T) -> list[str]:
    """Feed ('p'|'r', t) edges, then tick at `end`; return every output in order."""
    m = GestureMachine(timing, held_at_start=held_at_start)
    out: list[str] = []
    for kind, t in edges:
        out += m.press(t) if kind == "p" else m.release(t)
    return out + m.tick(end)


def clicks(*pairs: tuple[float, float]) -> list[tuple[str, float]]:
    edges = []
    for down, up in pairs:
        edges += [("p", down), ("r", up)]
    return edges


def decisions(out: list[str]) -> list[str]:
    return [o for o in out if o in DECISIONS]


@pytest.mark.parametrize("held, expected", [
    (0.021, [SINGLE]), (0.5, [SINGLE]), (0.999, [SINGLE]),
    (1.0, [HOLD_WARNING, CANCELLED]), (1.999, [HOLD_WARNING, CANCELLED]),
    (2.0, [HOLD_WARNING, HOLD_ARMED, LONG]), (30.0, [HOLD_WARNING, HOLD_ARMED, LONG]),
    (0.019, []),  # shorter than bounce_s: a glitch, not a press
])
def test_one_press_by_duration(held, expected):
    assert run(clicks((0.0, held))) == expected


def test_single_is_decided_only_when_the_double_window_closes():
    m = GestureMachine(T)
    assert m.press(0.0) == [] and m.release(0.1) == []
    assert m.next_deadline() == pytest.approx(0.5)
    assert m.tick(0.499) == []
    assert m.tick(0.5) == [SINGLE]
    assert m.next_deadline() is None


@pytest.mark.parametrize("gap, expected", [
    (0.021, [DOUBLE]), (0.2, [DOUBLE]), (0.399, [DOUBLE]),
    (0.4, [SINGLE, SINGLE]), (0.9, [SINGLE, SINGLE]),
])
def test_double_versus_two_singles(gap, expected):
    assert run(clicks((0.0, 0.1), (0.1 + gap, 0.2 + gap))) == expected


def test_double_is_decided_on_the_second_release_at_once():
    m = GestureMachine(T)
    m.press(0.0), m.release(0.1), m.press(0.3)
    assert m.release(0.4) == [DOUBLE]
    assert m.next_deadline() is None


def test_triple_press_is_a_double_then_a_single():
    assert run(clicks((0.0, 0.1), (0.2, 0.3), (0.4, 0.5))) == [DOUBLE, SINGLE]


def test_held_second_press_becomes_a_hold_and_the_first_click_is_forgotten():
    assert run(clicks((0.0, 0.1), (0.3, 2.4))) == [HOLD_WARNING, HOLD_ARMED, LONG]
    assert run(clicks((0.0, 0.1), (0.3, 1.5))) == [HOLD_WARNING, CANCELLED]


def test_hold_signals_come_from_ticks_at_their_times():
    m = GestureMachine(T)
    m.press(10.0)
    assert m.next_deadline() == 11.0
    assert m.tick(10.999) == []
    assert m.tick(11.0) == [HOLD_WARNING]
    assert m.next_deadline() == 12.0
    assert m.tick(12.0) == [HOLD_ARMED]
    assert m.next_deadline() is None
    assert m.release(12.5) == [LONG]


def test_hold_warning_comes_before_a_short_long_press_threshold():
    assert Timing(long_press_s=0.6).hold_warn_s == pytest.approx(0.3)
    assert run(clicks((0.0, 0.6)), timing=Timing(long_press_s=0.6)) == [HOLD_WARNING, HOLD_ARMED, LONG]


def test_release_chatter_continues_the_press():
    # down 0..0.3, the contact bounces at release: r 0.3, p 0.305, r 0.31
    assert run([("p", 0.0), ("r", 0.3), ("p", 0.305), ("r", 0.31)]) == [SINGLE]


def test_press_chatter_is_one_press():
    assert run([("p", 0.0), ("r", 0.002), ("p", 0.004), ("r", 0.2)]) == [SINGLE]


def test_chatter_on_a_double_press_is_still_one_double():
    edges = [("p", 0.0), ("r", 0.001), ("p", 0.003), ("r", 0.1), ("p", 0.105), ("r", 0.11),
             ("p", 0.3), ("r", 0.301), ("p", 0.303), ("r", 0.4), ("p", 0.41), ("r", 0.415)]
    assert run(edges) == [DOUBLE]


def test_chatter_after_a_long_press_does_not_start_another():
    out = run([("p", 0.0), ("r", 2.5), ("p", 2.51), ("r", 2.6)])
    assert decisions(out) == [LONG]


def test_bounce_zero_takes_every_edge():
    out = run(clicks((0.0, 0.001), (0.002, 0.003)), timing=Timing(bounce_s=0.0))
    assert out == [DOUBLE]


def test_held_at_start_is_ignored_until_released():
    m = GestureMachine(T, held_at_start=True)
    assert m.tick(50.0) == []
    assert m.release(60.0) == []
    assert m.release(60.1) == [] and m.tick(100) == []
    assert run(clicks((5.0, 5.1)), held_at_start=True) == []  # a stray press edge while "down" is ignored too
    assert run([("r", 5.0), *clicks((6.0, 6.1))], held_at_start=True) == [SINGLE]


def test_held_at_start_release_chatter_is_ignored():
    assert run([("r", 5.0), ("p", 5.005), ("r", 5.01)], held_at_start=True) == []


def test_an_edge_after_the_window_first_decides_the_pending_single():
    m = GestureMachine(T)
    m.press(0.0), m.release(0.1)
    assert m.press(5.0) == [SINGLE]  # the worker never ticked: the edge decides it first
    assert m.release(5.1) == []


def test_time_never_runs_backwards_inside_the_machine():
    m = GestureMachine(T)
    m.tick(10.0)
    m.press(9.0)  # an out-of-order timestamp is taken as "now"
    assert m.release(9.5) == []  # 0 s held from 10.0: a glitch, ignored
    assert m.state == "idle"


edge_times = st.lists(st.floats(min_value=0.0, max_value=3.0, allow_nan=False), min_size=0, max_size=30)


@settings(max_examples=200, deadline=None)
@given(gaps=edge_times, ticks=st.lists(st.floats(min_value=0.0, max_value=3.0), max_size=30),
       bounce=st.sampled_from([0.0, 0.02, 0.05]))
def test_decisions_do_not_depend_on_when_the_worker_ticks(gaps, ticks, bounce):
    """A late or busy worker decides the same gestures as a punctual one: edges carry their time."""
    timing = Timing(0.4, 2.0, bounce)
    times = []
    t = 0.0
    for gap in gaps:
        t += gap
        times.append(t)
    edges = [("p" if i % 2 == 0 else "r", at) for i, at in enumerate(times)]
    lazy = decisions(run(edges, end=t + 10, timing=timing))
    m = GestureMachine(timing)
    busy: list[str] = []
    tick_times = sorted(ticks)
    for kind, at in edges:
        while tick_times and tick_times[0] <= at:
            busy += m.tick(tick_times.pop(0))
        busy += m.press(at) if kind == "p" else m.release(at)
    busy += m.tick(t + 10)
    assert decisions(busy) == lazy
    assert busy.count(HOLD_WARNING) >= busy.count(LONG) + busy.count(CANCELLED)


# --- repeat keys (volume buttons) ----------------------------------------------------------

def test_repeat_key_steps_on_press_then_repeats_while_held():
    k = RepeatKey(repeat_s=0.3, bounce_s=0.02)
    assert k.press(0.0) == ["step"]
    assert k.next_deadline() == pytest.approx(0.6)
    assert k.tick(0.59) == []
    assert k.tick(0.6) == ["step"]
    assert k.tick(0.9) == ["step"]
    assert k.release(1.0) == []
    assert k.tick(5.0) == [] and k.next_deadline() is None


def test_repeat_key_late_tick_is_one_step_not_a_burst():
    k = RepeatKey(repeat_s=0.3, bounce_s=0.02)
    k.press(0.0)
    assert k.tick(10.0) == ["step"]
    assert k.next_deadline() == pytest.approx(10.3)


def test_repeat_key_chatter_is_not_another_step():
    k = RepeatKey(repeat_s=0.3, bounce_s=0.02)
    assert k.press(0.0) == ["step"]
    assert k.release(0.1) == [] and k.press(0.105) == []
    assert k.tick(0.6) == ["step"]  # the held press goes on with its schedule


def test_repeat_key_held_at_start_is_ignored_until_released():
    k = RepeatKey(repeat_s=0.3, bounce_s=0.02, held_at_start=True)
    assert k.tick(100.0) == [] and k.next_deadline() is None
    assert k.release(101.0) == []
    assert k.press(102.0) == ["step"]
