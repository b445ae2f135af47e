"""The pure confirmation window for ending a session from the button: every edge, exact times."""

from __future__ import annotations

import pytest

from player.hardware.gestures import CANCELLED as CANCELLED_GESTURE
from player.hardware.gestures import DOUBLE, LONG, SINGLE
from player.hardware.stop_confirm import CANCELLED, CONFIRMED, StopConfirm


def test_off_refuses_and_never_opens_a_window():
    stop = StopConfirm(False, 5.0)
    assert stop.ask(10.0) is False
    assert not stop.pending and stop.next_deadline() is None
    assert stop.answer(DOUBLE) is None  # a double press is just a double press (a mark)
    assert stop.expire(1e9) is False


def test_a_double_press_within_the_window_confirms_once():
    stop = StopConfirm(True, 5.0)
    assert stop.ask(10.0) is True
    assert stop.pending and stop.next_deadline() == 15.0
    assert stop.expire(14.999) is False
    assert stop.answer(DOUBLE) == CONFIRMED
    assert not stop.pending and stop.next_deadline() is None
    assert stop.answer(DOUBLE) is None  # the next double press is a mark again


@pytest.mark.parametrize("gesture", [SINGLE, LONG, CANCELLED_GESTURE])
def test_any_other_decided_gesture_cancels(gesture):
    stop = StopConfirm(True, 5.0)
    stop.ask(0.0)
    assert stop.answer(gesture) == CANCELLED
    assert not stop.pending
    assert stop.answer(DOUBLE) is None


def test_the_window_runs_out_at_its_deadline_exactly_once():
    stop = StopConfirm(True, 2.0)
    stop.ask(1.0)
    assert stop.expire(2.999) is False and stop.pending
    assert stop.expire(3.0) is True
    assert not stop.pending and stop.next_deadline() is None
    assert stop.expire(4.0) is False
    assert stop.answer(DOUBLE) is None  # too late: nothing to confirm


def test_a_second_long_press_restarts_the_window():
    stop = StopConfirm(True, 5.0)
    stop.ask(0.0)
    assert stop.ask(4.0) is True
    assert stop.next_deadline() == 9.0
    assert stop.expire(5.0) is False
