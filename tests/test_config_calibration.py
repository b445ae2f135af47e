"""Calibrated levels in the config: volume.calibration_dba_at_0db and volume.max_dba lower the cap in force."""

from __future__ import annotations

import pytest

from player import cli
from player.config import load_config
from player.core.cap import cap_db
from player.errors import ConfigInvalid


def test_uncalibrated_the_cap_is_max_db():
    assert cap_db(load_config({}).volume) == -6.0
    assert cap_db(load_config({"volume": {"max_dba": 80}}).volume) == -6.0  # no calibration: dBA means nothing


def test_calibrated_the_cap_in_force_is_max_dba_minus_the_calibration():
    v = load_config({"volume": {"calibration_dba_at_0db": 98, "start_db": -30, "default_db": -20}}).volume
    assert cap_db(v) == -13.0 and v.max_dba == 85.0  # 85 dBA - 98 dBA = -13 dB, below the file's -6 dB
    assert v.max_db == -6.0  # the config holds what the file says; the cap in force is computed where used
    quiet = load_config({"volume": {"calibration_dba_at_0db": 84}}).volume
    assert cap_db(quiet) == -6.0  # 85 - 84 = +1 dB: max_db is the lower
    lower = load_config({"volume": {"calibration_dba_at_0db": 98, "max_dba": 75, "start_db": -40,
                                    "default_db": -30}}).volume
    assert cap_db(lower) == -23.0


def test_85_dba_is_a_hard_ceiling():
    with pytest.raises(ConfigInvalid, match="volume.max_dba: must be between 40 and 85, got 90"):
        load_config({"volume": {"max_dba": 90}})


def test_levels_above_the_dba_cap_are_errors_that_say_where_the_cap_comes_from():
    with pytest.raises(ConfigInvalid) as info:
        load_config({"volume": {"calibration_dba_at_0db": 98}})
    assert info.value.errors == ["volume.default_db: -12 dB is above the cap from volume.max_dba 85 dBA at "
                                 "volume.calibration_dba_at_0db 98 dBA (-13 dB)"]


def test_a_cap_at_the_floor_is_refused():
    with pytest.raises(ConfigInvalid, match="at or below volume.floor_db"):
        load_config({"volume": {"calibration_dba_at_0db": 150, "max_dba": 85, "start_db": -60, "default_db": -60}})


def test_config_command_explains_the_cap_in_force(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text("volume:\n  calibration_dba_at_0db: 98\n  start_db: -30\n  default_db: -20\n")
    assert cli.main(["config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "volume.max_db: -6.0" in out and "the cap in force is -13 dB" in out  # the file's value, then the cap
    assert "85 - 98 = -13 dB" in out and "at most 85 dBA" in out
