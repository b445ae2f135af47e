"""Pure gain math: dB <-> VLC percent, the cap, ramps and equal-power curves, exhaustively."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.core.crossfade import crossfade_length_s
from player.core.gain import (
    CrossfadeRamp,
    Ramp,
    db_to_vlc_percent,
    effective_db,
    equal_power,
    vlc_percent_to_db,
)

finite_db = st.floats(min_value=-200, max_value=60, allow_nan=False)


@pytest.mark.parametrize(("db", "percent"), [(0, 100), (-5.8, 80), (-18.1, 50), (-36.1, 25), (-60, 10)])
def test_cubic_volume_matches_measured_vlc_points(db, percent):
    assert abs(db_to_vlc_percent(db) - percent) <= 1


def test_every_percent_round_trips():
    for percent in range(1, 101):
        assert db_to_vlc_percent(vlc_percent_to_db(percent)) == percent
    assert vlc_percent_to_db(0) is None


@pytest.mark.parametrize("silent", [None, -math.inf, math.nan])
def test_silence_is_zero_percent(silent):
    assert db_to_vlc_percent(silent) == 0


@settings(max_examples=300)
@given(db=finite_db, cap=st.floats(min_value=-60, max_value=0))
def test_percent_never_exceeds_the_cap(db, cap):
    percent = db_to_vlc_percent(db, cap)
    assert 0 <= percent <= 100
    if percent:
        assert vlc_percent_to_db(percent) <= cap + 1e-9


@settings(max_examples=300)
@given(norm=finite_db, trim=finite_db, fader=finite_db, master=finite_db, cap=st.floats(-60, 0))
def test_effective_gain_is_the_sum_clamped_to_the_cap(norm, trim, fader, master, cap):
    got = effective_db(norm, trim, fader, master, cap)
    assert got == min(norm + trim + fader + master, cap)
    assert effective_db(norm, trim, None, master, cap) is None


def test_equal_power_keeps_power_constant_and_ends_exactly():
    assert equal_power(0) == (1.0, 0.0)
    out_end, in_end = equal_power(1)
    assert abs(out_end) < 1e-12 and in_end == 1.0
    for i in range(101):
        out, inc = equal_power(i / 100)
        assert abs(out * out + inc * inc - 1) < 1e-12
    assert equal_power(-1) == equal_power(0) and equal_power(2) == equal_power(1)


@pytest.mark.parametrize(("xf", "a", "b", "want"), [
    (8, 300, 200, 8), (8, 10, 300, 5), (8, 300, 6, 3), (8, None, None, 8), (0, 100, 100, 0), (-1, 10, 10, 0),
])
def test_short_tracks_shorten_the_crossfade_to_half_the_shorter(xf, a, b, want):
    assert crossfade_length_s(xf, a, b) == want


def test_fade_from_silence_starts_at_floor_and_is_db_linear():
    ramp = Ramp(None, 0.0, t0=10.0, duration_s=4.0, floor_db=-48.0)
    assert ramp.value(10.0) is None          # at the floor: still muted
    assert ramp.value(9.0) is None
    values = [ramp.value(10.0 + i * 0.02) for i in range(1, 201)]
    assert all(v is not None for v in values)
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    assert max(steps) - min(steps) < 1e-9 and abs(steps[0] - 48 / 200) < 1e-9
    assert values[-1] == 0.0 and ramp.done(14.0)


def test_fade_to_silence_mutes_only_at_its_end():
    ramp = Ramp(-3.0, None, t0=0.0, duration_s=3.0, floor_db=-50.0)
    assert ramp.value(0.0) == -3.0
    assert ramp.value(1.5) == pytest.approx(-26.5)
    assert ramp.value(2.999) is not None and ramp.value(3.0) is None


def test_ramp_between_levels_and_zero_length():
    assert Ramp(-20.0, -12.0, 0.0, 10.0, -60.0).value(5.0) == pytest.approx(-16.0)
    assert Ramp(-20.0, -12.0, 0.0, 0.0, -60.0).value(0.0) == -12.0
    assert Ramp(-90.0, 0.0, 0.0, 1.0, -60.0).value(0.0) == -60.0  # never below the floor


@settings(max_examples=200)
@given(start=st.one_of(st.none(), st.floats(-80, 0)), end=st.one_of(st.none(), st.floats(-80, 0)),
       duration=st.floats(0.05, 600), floor=st.floats(-90, -20))
def test_ramps_stay_between_their_ends_and_step_evenly(start, end, duration, floor):
    ramp = Ramp(start, end, 0.0, duration, floor)
    lo = floor if start is None else max(start, floor)
    hi = floor if end is None else max(end, floor)
    per_tick = abs(hi - lo) * 0.02 / duration
    prev = ramp.value(0.0)
    for i in range(1, 200):
        cur = ramp.value(i * 0.02)
        if cur is not None:
            assert min(lo, hi) - 1e-9 <= cur <= max(lo, hi) + 1e-9
        if cur is not None and prev is not None:
            assert abs(cur - prev) <= per_tick + 1e-9
        prev = cur


def test_crossfade_ramps_sum_to_constant_power_and_mute_below_floor():
    out = CrossfadeRamp(False, 0.0, 8.0, -60.0)
    inc = CrossfadeRamp(True, 0.0, 8.0, -60.0)
    assert out.value(0.0) == 0.0 and inc.value(0.0) is None
    assert out.value(8.0) is None and inc.value(8.0) == 0.0
    for i in range(1, 400):
        t = i * 0.02
        a, b = out.value(t), inc.value(t)
        power = sum(10 ** (v / 10) for v in (a, b) if v is not None)
        assert abs(10 * math.log10(power)) < 0.01
