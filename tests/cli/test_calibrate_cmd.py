"""`session-player calibrate`: the reading's arithmetic, the level under the cap, writing the config."""

from __future__ import annotations

import pytest

from player import cli
from player.commands import calibrate
from player.config import load_config
from player.core.cap import cap_db

CONFIG = """# chair 3
room: Chair 3
volume:
  max_db: -6          # headphones model X
  start_db: -30
  default_db: -20
web:
  bind: 127.0.0.1
"""


def test_a_reading_taken_at_a_level_gives_the_calibration_and_the_cap(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    assert cli.main(["calibrate", "--reading", "76.5", "--level", "-22", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    # 76.5 dBA at -22 dB: 98.5 dBA at 0 dB; cap min(-6, 85 - 98.5) = -13.5 dB = 85.0 dBA
    assert "volume.calibration_dba_at_0db: 98.5" in out
    assert "cap -13.5 dB = 85.0 dBA" in out and "default -20 dB = 78.5 dBA" in out
    assert path.read_text() == CONFIG  # not written without --write


def test_defaults_above_the_new_cap_are_pointed_out(tmp_path, capsys):
    assert cli.main(["calibrate", "--reading", "80", "--level", "-20", "--config", str(tmp_path / "none.yaml")]) == 1
    path = tmp_path / "c.yaml"
    path.write_text("room: A\n")
    assert cli.main(["calibrate", "--reading", "80", "--level", "-20", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note: volume.default_db -12 dB is above that cap: set it to -15 or lower too" in out


def test_the_level_is_never_above_the_cap_in_force():
    config = load_config({"volume": {"max_db": -9, "start_db": -30, "default_db": -20}})
    assert calibrate.stated_level_db(0.0, config) == -9.0
    assert calibrate.stated_level_db(-30.0, config) == -30.0


def test_write_keeps_comments_and_the_result_loads(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    assert cli.main(["calibrate", "--reading", "70", "--level", "-30", "--write", "--config", str(path)]) == 0
    text = path.read_text()
    assert "  calibration_dba_at_0db: 100.0\n" in text and "# headphones model X" in text and "# chair 3" in text
    v = load_config(path).volume
    assert v.calibration_dba_at_0db == 100.0 and cap_db(v) == -15.0
    assert cli.main(["calibrate", "--reading", "72", "--level", "-30", "--write", "--config", str(path)]) == 0
    assert path.read_text().count("calibration_dba_at_0db") == 1 and "102.0" in path.read_text()


def test_write_refuses_a_calibration_the_config_could_not_take(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    # 100 dBA at -20 dB: 120 dBA at 0 dB, cap -35 dB: start -30 and default -20 are above it
    assert cli.main(["calibrate", "--reading", "100", "--level", "-20", "--write", "--config", str(path)]) == 1
    assert "not written, the config would be invalid" in capsys.readouterr().err
    assert path.read_text() == CONFIG


@pytest.mark.parametrize("text, expected", [
    ("room: A\n", "room: A\nvolume:\n  calibration_dba_at_0db: 98.5\n"),
    ("volume:\n    max_db: -6\nroom: A\n", "volume:\n    calibration_dba_at_0db: 98.5\n    max_db: -6\nroom: A\n"),
    ("volume:  # levels\n  max_db: -6\n", "volume:  # levels\n  calibration_dba_at_0db: 98.5\n  max_db: -6\n"),
    ("volume:\n  calibration_dba_at_0db: 90  # old\n", "volume:\n  calibration_dba_at_0db: 98.5\n"),
    ("", "volume:\n  calibration_dba_at_0db: 98.5\n"),
])
def test_set_calibration_edits_only_that_line(text, expected):
    assert calibrate.set_calibration(text, 98.5) == expected


def test_interactive_reading_is_asked_until_it_is_a_number(tmp_path, monkeypatch, capsys):
    answers = iter(["loud", "200", "77,5"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(calibrate, "_play", lambda config, level, hold: None)
    assert cli.main(["calibrate", "--config", str(tmp_path / "absent.yaml")]) == 1  # named file missing
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG)
    assert cli.main(["calibrate", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "expected a number" in out and "between 30 and 140" in out
    assert "volume.calibration_dba_at_0db: 107.5" in out  # 77.5 dBA at the default level -30 dB
