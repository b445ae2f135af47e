"""The pure volume inputs: buttons, knob detents and the step bound, with exact timestamps."""

from __future__ import annotations

import pytest

from player.hardware.volume_keys import MAX_VOLUME_STEP_DB, VolumeInputs, bounded_step


def inputs() -> VolumeInputs:
    v = VolumeInputs(step_db=2.0, encoder_step_db=1.5, repeat_s=0.25, bounce_s=0.02)
    v.add_key(1)
    v.add_key(-1)
    return v


def test_a_press_steps_once_and_a_hold_repeats_after_twice_the_period():
    v = inputs()
    assert v.key(1, True, 0.0) == 2.0
    assert v.deadlines() == [0.5]
    assert v.tick(0.49) == 0.0
    assert v.tick(0.5) == 2.0
    assert v.deadlines() == [0.75]
    assert v.key(1, False, 0.6) == 0.0
    assert v.deadlines() == []


def test_down_steps_are_negative_and_both_keys_sum():
    v = inputs()
    assert v.key(-1, True, 0.0) == -2.0
    assert v.key(1, True, 0.0) == 2.0
    assert v.tick(0.5) == 0.0  # one repeat each way


def test_a_key_held_at_start_is_ignored_until_released():
    v = VolumeInputs(2.0, 1.5, 0.25, 0.02)
    v.add_key(1, held_at_start=True)
    assert v.key(1, True, 1.0) == 0.0   # still the press that was down at start
    assert v.tick(10.0) == 0.0
    assert v.key(1, False, 11.0) == 0.0
    assert v.key(1, True, 12.0) == 2.0


def test_detents():
    v = inputs()
    assert v.detent(1) == 1.5
    assert v.detent(-1) == -1.5


@pytest.mark.parametrize(("asked", "level", "cap", "expected"), [
    (3.0, -20.0, -6.0, 3.0),
    (30.0, None, None, MAX_VOLUME_STEP_DB),
    (-30.0, -20.0, -6.0, -MAX_VOLUME_STEP_DB),
    (5.0, -8.0, -6.0, 2.0),          # up: no further than the cap
    (5.0, -6.0, -6.0, 0.0),          # at the cap: nothing
    (0.75, -6.5, -6.0, 0.5),         # a small step up stops at the cap too
    (0.0, -3.0, -6.0, 0.0),          # above the cap (a lowered cap): asking nothing moves nothing
    (-5.0, -6.0, -6.0, -5.0),        # down at the cap: allowed
    (5.0, "loud", -6.0, 5.0),        # the status cannot tell: the step bound only
])
def test_bounded_step(asked, level, cap, expected):
    assert bounded_step(asked, level, cap) == expected
