"""Exposure, by what the clinical record needs: the figures a session's level gives (rounded as
recorded), quiet and short sessions measured rather than dropped, bad input refused by name,
the figures kept across a restart, and the sentence the report prints."""

from __future__ import annotations

import math

import pytest

from player.core.exposure import ExposureMeter, allowed_s, exposure_text, laeq


def meter(*segments: tuple[float, float | None]) -> ExposureMeter:
    m = ExposureMeter()
    for duration_s, level in segments:
        m.add(duration_s, level)
    return m


def test_an_hour_at_80_dba_is_its_share_of_the_day_and_of_the_week() -> None:
    got = meter((3600.0, -10.0)).summary(90.0)            # -10 dB with 90 dBA at 0 dB: 80 dBA
    assert got["seconds"] == 3600.0 and got["leq_db"] == -10.0 and got["laeq_dba"] == 80.0
    assert got["daily_dose"] == round(3600.0 / allowed_s(80.0), 6)
    assert got["weekly_share"] == 0.025                    # 1 h of WHO's 40 h at 80 dBA


def test_louder_than_the_weekly_criterion_uses_up_the_week_faster() -> None:
    got = meter((3600.0, -7.0)).summary(90.0)             # 83 dBA: 3 dB over, twice as fast
    assert got["weekly_share"] == 0.05


def test_figures_are_rounded_as_the_record_keeps_them() -> None:
    got = meter((12.345, -20.0), (0.0004, None)).summary(81.2345)
    assert got["seconds"] == 12.3
    assert got["leq_db"] == -20.0
    m = meter((10.0, -21.2345))
    assert m.summary(None)["leq_db"] == -21.23
    calibrated = m.summary(80.0)
    assert calibrated["laeq_dba"] == 58.8
    assert calibrated["daily_dose"] == round(10.0 / allowed_s(80.0 - 21.2345), 6)
    assert len(str(calibrated["weekly_share"]).split(".")[-1]) <= 6


def test_without_a_calibration_only_the_digital_level_is_given() -> None:
    assert meter((60.0, -12.0)).summary(None) == {"seconds": 60.0, "leq_db": -12.0, "laeq_dba": None,
                                                  "daily_dose": None, "weekly_share": None}


def test_nothing_heard_gives_no_level() -> None:
    assert ExposureMeter().summary(90.0) == {"seconds": 0.0, "leq_db": None, "laeq_dba": None, "daily_dose": None,
                                             "weekly_share": None}
    assert meter((60.0, None)).summary(90.0)["leq_db"] is None          # silence only


def test_quiet_or_short_sound_is_still_measured() -> None:
    assert meter((10.0, -30.0)).summary(None)["leq_db"] == -30.0
    assert meter((0.5, -6.0)).summary(None)["leq_db"] == -6.0
    assert laeq([(10.0, -20.0)]) == pytest.approx(-20.0)
    assert laeq([(0.5, 40.0)]) == pytest.approx(40.0)


@pytest.mark.parametrize("duration_s", [0.0, -5.0, math.inf, math.nan])
def test_time_that_is_not_a_positive_finite_duration_is_not_counted(duration_s: float) -> None:
    m = meter((10.0, -20.0), (duration_s, -10.0))
    assert m.summary(None)["seconds"] == 10.0 and m.summary(None)["leq_db"] == -20.0


def test_bad_segments_are_refused_naming_the_value() -> None:
    with pytest.raises(ValueError, match=r"duration must be a finite number of seconds >= 0, got -1\.0"):
        laeq([(-1.0, 80.0)])
    with pytest.raises(ValueError, match=r"level must be finite dBA or None \(silence\), got nan"):
        laeq([(1.0, math.nan)])
    with pytest.raises(ValueError, match=r"^LAeq needs some time: the segments last 0 s$"):
        laeq([(0.0, 80.0)])


def test_the_figures_survive_a_restart() -> None:
    before = meter((600.0, -12.0), (60.0, None))
    after = ExposureMeter()
    after.restore(before.integrals())
    assert after.summary(90.0) == before.summary(90.0)
    assert after.integrals() == {"seconds": 660.0, "energy": before.integrals()["energy"],
                                 "dose": before.integrals()["dose"]}


@pytest.mark.parametrize("saved", [{}, {"seconds": 1.0, "energy": 1.0}, {"seconds": "x", "energy": 1, "dose": 1},
                                   {"seconds": None, "energy": 1, "dose": 1},
                                   {"seconds": -1.0, "energy": 1.0, "dose": 1.0},
                                   {"seconds": 1.0, "energy": math.inf, "dose": 1.0},
                                   {"seconds": 1.0, "energy": 1.0, "dose": math.nan}])
def test_saved_figures_that_do_not_add_up_are_ignored(saved: dict) -> None:
    m = meter((60.0, -12.0))
    kept = m.integrals()
    m.restore(saved)
    assert m.integrals() == kept


def test_the_report_sentence_with_and_without_a_calibration() -> None:
    digital = meter((3600.0, -10.0)).summary(None)
    assert exposure_text(digital) == "heard -10 dB Leq over 1:00:00"
    calibrated = meter((3600.0, -10.0)).summary(90.0)
    assert exposure_text(calibrated, lead="Exposure: ") == (
        f"Exposure: heard -10 dB Leq over 1:00:00, 80 dBA LAeq: {100 * calibrated['daily_dose']:.2f} % of a daily "
        "85 dBA / 8 h dose, 2.50 % of WHO's weekly 80 dBA / 40 h")


@pytest.mark.parametrize("exposure", [None, {}, {"leq_db": None, "seconds": 60.0}])
def test_nothing_measured_reads_as_nothing(exposure: dict | None) -> None:
    assert exposure_text(exposure) == ""


def test_an_exposure_without_its_duration_reads_as_none_long() -> None:
    assert exposure_text({"leq_db": -12.5, "seconds": None}) == "heard -12.5 dB Leq over 0:00"


def test_a_restart_before_anything_was_heard_takes_up_the_empty_figures() -> None:
    m = meter((60.0, -12.0))
    m.restore(ExposureMeter().integrals())
    assert m.integrals() == {"seconds": 0.0, "energy": 0.0, "dose": 0.0}
    m.restore({"seconds": 30.0, "energy": 0.0, "dose": 0.0})          # 30 s of silence so far
    assert m.summary(90.0)["seconds"] == 30.0 and m.summary(90.0)["leq_db"] is None
