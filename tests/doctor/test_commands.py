"""`session-player doctor` and `devices` as commands: JSON shape, text, exit codes (fake machine)."""

from __future__ import annotations

import json

import pytest
import yaml

from player import cli
from player.commands import devices, doctor
from tests.doctor.fake_system import FakeSystem
from tests.support.audio_files import write_audio


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    """A chair whose files are all in order, and no installed unit (a development machine)."""
    data = tmp_path / "data"
    library = data / "library" / "current"
    write_audio(library / "calm" / "a.flac", 5.0, tags={"REPLAYGAIN_TRACK_GAIN": "-3 dB"})
    (library / "calm.yaml").write_text("name: Calm\nphases:\n  - name: s\n    duration: 1m\n    tracks: [calm/*]\n")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(data), "room": "Room 3",
                                    "session": {"default_playlist": str(library / "calm.yaml")}}))
    monkeypatch.setattr(doctor, "installed_unit", lambda: (None, {}))
    return path


def test_doctor_json_all_passing_exits_0(config_file, monkeypatch, capsys):
    monkeypatch.setattr(doctor, "System", FakeSystem)
    assert cli.main(["doctor", "--json", "--config", str(config_file)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 13 and all(set(r) == {"check", "ok", "detail", "fix"} for r in rows)
    assert all(r["ok"] for r in rows)


def test_doctor_text_marks_the_failure_and_its_fix_and_exits_1(config_file, monkeypatch, capsys):
    monkeypatch.setattr(doctor, "System", lambda: FakeSystem(clock=(False, "timedatectl")))
    assert cli.main(["doctor", "--config", str(config_file)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  clock" in out and "fix: connect the network" in out
    assert "12 of 13 checks passed; fix the 1 marked FAIL" in out


def test_doctor_on_an_invalid_config_reports_it_and_checks_the_rest(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "config.yaml"
    bad.write_text("volume:\n  max_db: 6\n")
    monkeypatch.setattr(doctor, "System", FakeSystem)
    monkeypatch.setattr(doctor, "installed_unit", lambda: (None, {}))
    assert cli.main(["doctor", "--json", "--config", str(bad)]) == 1
    rows = {r["check"]: r for r in json.loads(capsys.readouterr().out)}
    assert not rows["config"]["ok"] and "volume.max_db" in rows["config"]["detail"]
    assert len(rows) == 13


def test_devices_lists_which_take_two_streams(config_file, monkeypatch, capsys):
    monkeypatch.setattr(devices, "System", FakeSystem)
    assert cli.main(["devices", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "default:CARD=Device" in out and "two streams: yes" in out and "two streams: no (stream 2" in out
    assert cli.main(["devices", "--json", "--config", str(config_file)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["two_streams"] for r in rows] == [True, False] and not any(r["configured"] for r in rows)
