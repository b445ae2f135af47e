"""The config schema: defaults, every error at once, did-you-mean, cap consistency."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.config import Config, describe_schema, load_config, parse_size
from player.errors import ConfigInvalid


def test_missing_default_file_means_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr("player.config.DEFAULT_CONFIG_PATH", tmp_path / "absent.yaml")
    config = load_config(None)
    assert config == Config()
    assert config.volume.max_db == -6.0 and config.volume.start_db == -20.0
    assert config.socket_path == config.data_dir / "control.sock"


def test_named_file_must_exist(tmp_path):
    with pytest.raises(ConfigInvalid, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_file_values_are_parsed(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "room: Chair 3\n"
        f"data_dir: {tmp_path}\n"
        "volume: {max_db: -10, start_db: -30, default_db: -15, fade_in_s: 30s}\n"
        "hardware: {encoder_pins: [5, 6], pin_factory: mock}\n"
        "usb: {max_file_bytes: 1GiB}\n"
    )
    config = load_config(path)
    assert config.room == "Chair 3"
    assert config.data_dir == tmp_path
    assert config.volume.fade_in_s == 30.0
    assert config.hardware.encoder_pins == (5, 6)
    assert config.usb.max_file_bytes == 1024**3
    assert config.source == str(path)


def test_every_error_reported_at_once_with_lines(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("rom: A\nvolume:\n  max_bd: -8\n  start_db: 3\nweb: 5\n")
    with pytest.raises(ConfigInvalid) as info:
        load_config(path)
    errors = info.value.errors
    assert f"{path}:1: unknown key 'rom' in config (did you mean 'room'?)" in errors
    assert f"{path}:3: unknown key 'max_bd' in volume (did you mean 'max_db'?)" in errors
    assert f"{path}:4: volume.start_db: must be between -60 and 0, got 3" in errors
    assert f"{path}:5: web: expected a mapping of keys" in errors


@pytest.mark.parametrize(
    ("data", "message"),
    [({"volume": {"start_db": -3}}, "above the cap"),
     ({"volume": {"max_db": 3}}, "between -60 and 0"),
     ({"hardware": {"encoder_pins": [5, 6], "volume_up_pin": 7}}, "either encoder_pins"),
     ({"hardware": {"button_pin": 27}}, "same pin"),
     ({"usb": {"require_signature": True}}, "key_file"),
     ({"web": {"port": 70000}}, "between 0 and 65535"),
     ({"session": {"resume_policy": "guess"}}, "continue, pause"),
     ({"room": "a\nb"}, "one line"),
     ({"volume": {"max_db": True}}, "expected a number")],
)
def test_inconsistent_values_are_refused(data, message):
    with pytest.raises(ConfigInvalid, match=message):
        load_config(data)


def test_bad_yaml_names_the_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("volume:\n  max_db: &x -6\n")
    with pytest.raises(ConfigInvalid, match=r"config.yaml:2: .*anchors"):
        load_config(path)


def test_sizes():
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("500 MB") == 500 * 1000**2
    assert parse_size(1024) == 1024
    with pytest.raises(ValueError):
        parse_size("lots")


def test_schema_is_documented():
    rows = describe_schema()
    keys = [key for key, _, _ in rows]
    assert "volume.max_db" in keys and "room" in keys and "web.port" in keys
    assert all(doc for _, _, doc in rows)
    assert isinstance(load_config({}).data_dir, Path)
