"""Gain math at its edges: the percent floor, an infinite request under the cap, tracks too
short to halve, an outgoing fader that was still coming in, the floor itself, and the
normalization glide. Beside test_gain.py; written to kill the survivors of mutation testing
(python -m tests.mutation gain)."""

from __future__ import annotations

import math

from player.core.crossfade import crossfade_length_s
from player.core.gain import (
    VLC_MAX_DB,
    VLC_MAX_PERCENT,
    CrossfadeRamp,
    Glide,
    amplitude_to_db,
    db_to_vlc_percent,
    equal_power,
)


def test_a_vanishing_gain_is_0_percent_not_1() -> None:
    assert db_to_vlc_percent(-200.0) == 0


def test_an_infinite_request_is_held_at_the_cap() -> None:
    assert db_to_vlc_percent(math.inf, ceiling_db=-6.0) == db_to_vlc_percent(-6.0, ceiling_db=-6.0) == 79


def test_crossfades_halve_only_real_durations() -> None:
    assert crossfade_length_s(8.0, 0.0, None) == 8.0       # an unknown (0 s) length does not shorten it
    assert crossfade_length_s(8.0, 1.0, None) == 0.5       # a 1 s track: half of it
    assert crossfade_length_s(8.0, None, 6.0) == 3.0


def test_an_outgoing_fader_starts_from_its_level_never_above_full() -> None:
    quieter = CrossfadeRamp(incoming=False, t0=0.0, duration_s=10.0, floor_db=-60.0, from_db=-6.0)
    assert quieter.value(0.0) == -6.0
    above = CrossfadeRamp(incoming=False, t0=0.0, duration_s=10.0, floor_db=-60.0, from_db=3.0)
    assert above.value(0.0) == 0.0


def test_a_fader_exactly_at_its_floor_is_muted() -> None:
    floor = amplitude_to_db(equal_power(1.0 / 3.0)[1])  # where the incoming deck is after 1 s of 3
    ramp = CrossfadeRamp(incoming=True, t0=0.0, duration_s=3.0, floor_db=floor)
    assert ramp.value(1.0) is None
    assert ramp.value(1.5) is not None


def test_a_glide_moves_at_its_rate_and_stops_on_target() -> None:
    up = Glide(-10.0, -4.0, t0=100.0, rate_db_per_s=2.0)
    assert [up.value(t) for t in (99.0, 100.0, 101.0, 102.5, 103.0, 110.0)] == [-10.0, -10.0, -8.0, -5.0, -4.0, -4.0]
    assert (up.done(102.9), up.done(103.0)) == (False, True)
    down = Glide(-4.0, -10.0, t0=0.0, rate_db_per_s=2.0)
    assert down.value(1.0) == -6.0


def test_a_glide_turned_midway_continues_from_where_it_is() -> None:
    turned = Glide(-10.0, -4.0, t0=0.0, rate_db_per_s=2.0).toward(1.0, -12.0)
    assert turned == Glide(-8.0, -12.0, 1.0, 2.0)
    assert turned.value(2.0) == -10.0


def test_a_resting_glide_is_done_at_once() -> None:
    rest = Glide.at(-7.0, 1.5)
    assert rest == Glide(-7.0, -7.0, 0.0, 1.5) and rest.done(0.0) and rest.value(50.0) == -7.0


def test_above_unity_vlc_amplifies_up_to_200_percent_and_rounds_down() -> None:
    assert db_to_vlc_percent(6.7, ceiling_db=18.0) == 129          # 100·10^(6.7/60) = 129.3
    assert db_to_vlc_percent(6.7) == 100                            # the default ceiling: unity
    assert db_to_vlc_percent(40.0, ceiling_db=40.0) == 200          # VLC's range ends at 200 % (+18.06 dB)
    assert db_to_vlc_percent(VLC_MAX_DB, ceiling_db=VLC_MAX_DB) == VLC_MAX_PERCENT == 200
