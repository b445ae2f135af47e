"""Gesture and repeat-key timing at the exact edges: a press exactly `bounce_s` after a
release is a new press, a press held exactly `bounce_s` is a press, chatter after a decided
release is ignored with its own release, and a late repeat re-schedules from now. Beside
test_gestures.py; written to kill the survivors of mutation testing
(python -m tests.mutation gestures)."""

from __future__ import annotations

from player.hardware.gestures import DOUBLE, SINGLE, GestureMachine, RepeatKey, Timing

T = Timing(double_press_s=0.5, long_press_s=2.0, bounce_s=0.125)  # binary fractions: edges meet exactly


def test_a_press_exactly_bounce_after_a_release_is_a_second_press() -> None:
    m = GestureMachine(T)
    m.press(0.0)
    m.release(0.25)
    m.press(0.375)  # exactly bounce_s later: not chatter
    assert m.release(0.5) == [DOUBLE]


def test_a_press_held_exactly_bounce_is_a_press() -> None:
    m = GestureMachine(T)
    m.press(1.0)
    m.release(1.125)
    assert m.state == "waiting" and m.tick(1.625) == [SINGLE]


def test_chatter_after_a_decided_release_is_ignored_then_the_button_works_again() -> None:
    m = GestureMachine(T)
    m.press(0.0)
    m.release(0.25)
    m.press(0.5)
    assert m.release(0.75) == [DOUBLE]
    m.press(0.8)  # contact chatter on the decided release
    assert m.state == "ignoring"
    assert m.release(1.0) == [] and m.tick(2.0) == []
    m.press(3.0)
    m.release(3.25)
    assert m.tick(3.75) == [SINGLE]


def test_chatter_after_the_release_of_a_button_held_at_start_is_ignored_too() -> None:
    m = GestureMachine(T, held_at_start=True)
    assert m.state == "ignoring"
    assert m.release(1.0) == []
    m.press(1.0625)  # bounce on that first release
    assert m.release(1.5) == [] and m.tick(3.0) == []


def test_a_repeat_key_held_at_start_gives_no_step_until_released() -> None:
    key = RepeatKey(0.25, 0.02, held_at_start=True)
    assert key.state == "ignoring" and key.press(0.0) == [] and key.next_deadline() is None
    key.release(1.0)
    assert key.press(2.0) == [RepeatKey.STEP]


def test_a_repeat_key_press_exactly_bounce_after_release_is_a_new_step() -> None:
    key = RepeatKey(0.25, 0.125)
    assert key.press(0.0) == [RepeatKey.STEP]
    key.release(1.0)
    assert key.press(1.125) == [RepeatKey.STEP]
    key.release(1.25)
    assert key.press(1.3125) == []  # chatter: the held press goes on


def test_repeats_keep_their_beat_when_a_tick_is_a_little_late() -> None:
    key = RepeatKey(0.25, 0.02)
    key.press(0.0)
    assert key.next_deadline() == 0.5
    assert key.tick(0.55) == [RepeatKey.STEP]
    assert key.next_deadline() == 0.75  # on the beat, not 0.55 + 0.25


def test_a_tick_a_whole_period_late_gives_one_step_and_restarts_from_now() -> None:
    key = RepeatKey(0.25, 0.02)
    key.press(0.0)
    assert key.tick(0.75) == [RepeatKey.STEP]  # exactly one period late
    assert key.next_deadline() == 1.0 and key.tick(0.8) == []
