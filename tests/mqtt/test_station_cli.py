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


def test_station_token_made_by_root_before_the_first_start_is_the_service_users(tmp_path, monkeypatch):
    """`sudo session-player station-token` before the service ever ran: the service must read the token."""
    import argparse
    import os
    import shutil
    import tempfile
    from pathlib import Path

    import pytest

    from player.commands import station_token, web_token
    from tests.support.privileges import UNPRIVILEGED_USER, is_root, run_unprivileged

    if not is_root():
        pytest.skip("needs root (as the admin running sudo)")
    folder = Path(tempfile.mkdtemp(prefix="station-token-", dir="/tmp"))     # nobody may search it, as /var/lib
    try:
        folder.chmod(0o755)
        cfg = folder / "station.yaml"
        cfg.write_text(yaml.safe_dump({"data_dir": str(folder / "station")}))
        (folder / "station").mkdir(mode=0o755)
        monkeypatch.setattr(web_token, "SERVICE_USER", UNPRIVILEGED_USER)  # the service user, here: nobody
        assert station_token.run(argparse.Namespace(config=str(cfg), path=False)) == 0
        token = folder / "station" / "web-token"
        assert token.stat().st_mode & 0o777 == 0o600
        assert run_unprivileged(lambda: token.read_text()).strip() == token.read_text().strip()
        assert os.stat(folder / "station").st_uid == 0                     # its folder is left alone
    finally:
        shutil.rmtree(folder)
