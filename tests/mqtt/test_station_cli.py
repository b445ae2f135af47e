"""`session-player station-token` and `station` as commands."""

from __future__ import annotations

import subprocess
import sys

import yaml

CLI = [sys.executable, "-m", "player.cli"]


def test_station_token_is_created_once_and_printed(tmp_path):
    cfg = tmp_path / "station.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "station"), "mqtt": {"host": "broker.clinic.lan"}}))
    first = subprocess.run([*CLI, "station-token", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    again = subprocess.run([*CLI, "station-token", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and len(first.stdout.strip()) >= 16
    assert again.stdout == first.stdout == (tmp_path / "station" / "web-token").read_text()
    path = subprocess.run([*CLI, "station-token", "--path", "--config", str(cfg)], capture_output=True, text=True,
                          timeout=60)
    assert path.stdout.strip() == str(tmp_path / "station" / "web-token")


def test_a_bad_station_config_is_a_clear_error(tmp_path):
    cfg = tmp_path / "station.yaml"
    cfg.write_text(yaml.safe_dump({"mqtt": {"topic_prefix": "a/#", "tls": {"cert_file": "/x"}}}))
    out = subprocess.run([*CLI, "station", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "mqtt.topic_prefix: a topic prefix has no + or #" in out.stderr
    assert "mqtt.tls: ca_file is required" in out.stderr
