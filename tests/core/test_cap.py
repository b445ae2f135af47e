"""The cap in force, from a config's volume section: exact figures worked out beside each."""

from __future__ import annotations

from dataclasses import dataclass

from player.config import VolumeConfig, load_config
from player.core.cap import HARD_CEILING_DBA, calibrated_cap_applies, cap_db


@dataclass(frozen=True)
class _Volume:
    max_db: float
    max_dba: float = HARD_CEILING_DBA
    calibration_dba_at_0db: float | None = None


def test_uncalibrated_the_cap_is_max_db_whatever_max_dba_says() -> None:
    assert cap_db(_Volume(-6.0, 40.0)) == -6.0 and not calibrated_cap_applies(_Volume(-6.0, 40.0))
    assert cap_db(VolumeConfig()) == -6.0 and not calibrated_cap_applies(VolumeConfig())


def test_calibrated_the_lower_of_max_db_and_max_dba_minus_the_calibration() -> None:
    assert cap_db(_Volume(-6.0, 85.0, 98.0)) == -13.0             # 85 - 98 = -13 < -6
    assert calibrated_cap_applies(_Volume(-6.0, 85.0, 98.0))
    assert cap_db(_Volume(-6.0, 85.0, 91.0)) == -6.0              # 85 - 91 = -6: equal, max_db holds
    assert not calibrated_cap_applies(_Volume(-6.0, 85.0, 91.0))
    assert cap_db(_Volume(-6.0, 85.0, 91.5)) == -6.5              # just below
    assert calibrated_cap_applies(_Volume(-6.0, 85.0, 91.5))
    assert cap_db(_Volume(-20.0, 75.0, 90.0)) == -20.0            # 75 - 90 = -15 > -20: max_db is the lower


def test_the_config_keeps_the_files_max_db_and_the_core_computes_the_cap() -> None:
    v = load_config({"volume": {"calibration_dba_at_0db": 98, "start_db": -30, "default_db": -20}}).volume
    assert (v.max_db, cap_db(v)) == (-6.0, -13.0)


def test_85_dba_is_the_hard_ceiling() -> None:
    assert HARD_CEILING_DBA == 85.0 and VolumeConfig().max_dba == 85.0
