"""Exposure arithmetic against hand computations (each figure worked out in the comment beside it)."""

from __future__ import annotations

import math

import pytest

from player.audio.exposure import (
    allowed_s,
    calibration_from_reading,
    daily_dose,
    laeq,
    weekly_share,
)
from player.core.cap import db_to_dba, dba_to_db, effective_cap_db

HOUR = 3600.0


def test_db_and_dba_with_a_calibration():
    # calibrated: programme at the target at 0 dB reads 98 dBA; the player at -20 dB gives 78 dBA
    assert db_to_dba(-20.0, 98.0) == 78.0
    assert dba_to_db(78.0, 98.0) == -20.0
    # the meter read 76.5 dBA while the noise played at -22 dB: 0 dB would give 98.5 dBA
    assert calibration_from_reading(76.5, -22.0) == 98.5


def test_effective_cap_is_the_lower_of_max_db_and_max_dba_minus_the_calibration():
    assert effective_cap_db(-6.0, 85.0, None) == -6.0       # uncalibrated: max_db alone
    assert effective_cap_db(-6.0, 85.0, 98.0) == -13.0      # 85 - 98 = -13 dB, lower than -6
    assert effective_cap_db(-16.0, 85.0, 98.0) == -16.0     # max_db already lower
    assert effective_cap_db(-6.0, 80.0, 84.0) == -6.0       # quiet headphones: 80 - 84 = -4 > -6


def test_laeq_of_a_steady_level_is_that_level():
    assert laeq([(HOUR, 72.0)]) == pytest.approx(72.0)
    assert laeq([(600, 72.0), (1200, 72.0)]) == pytest.approx(72.0)


def test_laeq_of_two_levels_by_hand():
    # 30 min at 80 and 30 min at 90 dBA: 10*log10((0.5*10^8 + 0.5*10^9) / 1) = 10*log10(5.5e8) = 87.404
    assert laeq([(1800, 80.0), (1800, 90.0)]) == pytest.approx(87.404, abs=0.001)
    # 3 equal parts at 70, 73, 76: 10*log10((1e7 + 1.99526e7 + 3.98107e7) / 3) = 10*log10(2.32544e7) = 73.665
    assert laeq([(60, 70.0), (60, 73.0), (60, 76.0)]) == pytest.approx(73.665, abs=0.001)


def test_silence_counts_as_time_and_lowers_the_average():
    # 1 h at 80 dBA and 1 h of silence: half the energy over the same time, 80 - 3.0103 = 76.99
    assert laeq([(HOUR, 80.0), (HOUR, None)]) == pytest.approx(76.990, abs=0.001)
    assert laeq([(HOUR, -math.inf), (HOUR, 80.0)]) == pytest.approx(76.990, abs=0.001)
    assert laeq([(HOUR, None)]) == -math.inf


def test_allowed_time_halves_per_3_db():
    assert allowed_s(85.0) == 8 * HOUR and allowed_s(88.0) == 4 * HOUR and allowed_s(82.0) == 16 * HOUR
    assert allowed_s(80.0, 80.0, 40 * HOUR) == 40 * HOUR  # WHO: 40 h a week at 80 dBA


def test_daily_dose_by_hand_niosh_3_db_exchange():
    assert daily_dose([(8 * HOUR, 85.0)]) == pytest.approx(1.0)       # the whole allowance
    assert daily_dose([(HOUR, 85.0)]) == pytest.approx(0.125)         # 1 h of 8 h
    assert daily_dose([(4 * HOUR, 88.0)]) == pytest.approx(1.0)       # +3 dB halves the time: 4 h allowed
    assert daily_dose([(2 * HOUR, 91.0)]) == pytest.approx(1.0)
    # 2 h at 70 dBA: allowed 8 h * 2^(15/3) = 256 h, dose 2/256 = 0.0078125
    assert daily_dose([(2 * HOUR, 70.0)]) == pytest.approx(0.0078125)
    # 30 min at 80 (allowed 8*2^(5/3) = 25.398 h) + 30 min at 90 (8/2^(5/3) = 2.5198 h):
    # 0.5/25.398 + 0.5/2.5198 = 0.019686 + 0.198425 = 0.218111
    assert daily_dose([(1800, 80.0), (1800, 90.0), (600, None)]) == pytest.approx(0.218111, abs=1e-6)


def test_a_typical_session_is_a_small_share_of_the_day():
    # a 2 h session: 10 min fade-in at 60, 90 min at 72, 20 min at 65 dBA
    # dose = (1/6)/(8*2^(25/3)) + 1.5/(8*2^(13/3)) + (1/3)/(8*2^(20/3))
    #      = 0.16667/2580.3 + 1.5/161.27 + 0.33333/812.75 = 0.0000646 + 0.0093013 + 0.0004101 = 0.009776
    session = [(600, 60.0), (5400, 72.0), (1200, 65.0)]
    assert daily_dose(session) == pytest.approx(0.009776, abs=2e-6)
    # WHO: 80 dBA for 40 h; 1.5 h at 72 dBA: 1.5/(40*2^(8/3)) = 1.5/253.98 = 0.005906 (+ the two quieter parts)
    assert weekly_share([(5400, 72.0)]) == pytest.approx(0.005906, abs=2e-6)


@pytest.mark.parametrize("bad", [[(-1.0, 70.0)], [(math.nan, 70.0)], [(60.0, math.inf)], [(60.0, math.nan)]])
def test_bad_segments_are_refused(bad):
    with pytest.raises(ValueError):
        laeq(bad)
    with pytest.raises(ValueError):
        daily_dose(bad)


def test_laeq_needs_time():
    with pytest.raises(ValueError, match="0 s"):
        laeq([])
    with pytest.raises(ValueError, match="0 s"):
        laeq([(0.0, 80.0)])


def test_the_meter_integrates_to_the_same_figures_as_the_segments() -> None:
    from player.audio.exposure import ExposureMeter, daily_dose, laeq, weekly_share

    meter = ExposureMeter()
    segments_db = [(600.0, -20.0), (120.0, None), (5400.0, -8.0), (1200.0, -15.0)]
    for duration, level in segments_db:
        for _ in range(int(duration / 0.5)):      # as the engine's ticks add it
            meter.add(0.5, level)
    got = meter.summary(80.0)
    dba = [(d, None if level is None else level + 80.0) for d, level in segments_db]
    assert got["seconds"] == 7320.0
    assert abs(got["laeq_dba"] - laeq(dba)) < 0.05 and abs(got["leq_db"] - (laeq(dba) - 80.0)) < 0.01
    assert abs(got["daily_dose"] - daily_dose(dba)) < 1e-5 and abs(got["weekly_share"] - weekly_share(dba)) < 1e-5
    uncalibrated = meter.summary(None)
    assert uncalibrated["laeq_dba"] is None and uncalibrated["leq_db"] == got["leq_db"]
    assert ExposureMeter().summary(80.0)["leq_db"] is None                  # nothing heard yet
