"""The infusion on the real daemon: the CLI (`session-player infusion start|end`, `status`), its socket,
the web API, refusals, and a restart in between that keeps the anchors; a fake clock.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from player.clock import FakeClock
from player.control import send_request
from player.daemon import Daemon
from player.errors import SessionRefused
from player.web import WebServer
from tests.engine.conftest import daemon_config
from tests.support.daemon_time import playlist_with_tracks, records, to
from tests.web.conftest import Http

CLI = [sys.executable, "-m", "player.cli"]
PLAYLIST = """\
name: Infusion
crossfade: 2s
phases:
  - name: onset
    duration: 10m
    tracks: [a.flac]
  - name: recovery
    duration: 20m
    until: infusion_end + 30m
    tracks: [b.flac]
checkpoints:
  - {at: 2m, after: infusion_start, text: BP and HR, repeat: 2m, until: infusion_end}
  - {at: 10m, after: infusion_end, text: discharge check}
"""


@pytest.fixture
def playlist(tmp_path: Path) -> Path:
    return playlist_with_tracks(tmp_path, PLAYLIST)


def test_the_cli_records_the_infusion_and_refuses_what_makes_no_sense(tmp_path: Path, playlist: Path) -> None:
    clock = FakeClock()
    config = daemon_config(tmp_path / "data", web={"enabled": True, "port": 0})
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*CLI, *args, "--config", str(cfg)], capture_output=True, text=True, timeout=60)

    with Daemon(config, clock=clock) as daemon:
        out = cli("infusion", "start")
        assert out.returncode == 1 and "cannot record the infusion: no session is running" in out.stderr
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 60.0)
        out = cli("infusion", "end")
        assert out.returncode == 1 and "its start was not recorded" in out.stderr
        assert "infusion:  not started (session-player infusion start)" in cli("status").stdout
        assert "recovery:  NOT ANCHORED" in cli("status").stdout
        out = cli("infusion", "start")
        assert out.returncode == 0, out.stderr
        assert "infusion:  running since 1:00" in out.stdout
        (start,) = records(config, sid, "infusion_started")
        assert (start["elapsed_s"], start["source"]) == (60.0, "cli") and start["actor"]["uid"] >= 0
        out = cli("infusion", "start")
        assert out.returncode == 1 and "the infusion already started at 1:00" in out.stderr
        assert len(records(config, sid, "infusion_started")) == 1          # refused: nothing logged

        st = to(daemon, clock, 180.0)
        assert [c["state"] for c in st["checkpoints"]][:1] == ["due"] and st["checkpoints"][0]["at_s"] == 180.0
        api = Http(daemon.part(WebServer), daemon.config.token_path.read_text().strip())
        to(daemon, clock, 200.0)
        reply = api.control("infusion", event="end")
        assert reply.status == 200, reply.body
        assert reply.json()["status"]["infusion"]["state"] == "ended"
        bad = api.control("infusion", event="stop")
        assert bad.status == 400 and "infusion takes event: start or end, got 'stop'" in bad.json()["error"]
        (end,) = records(config, sid, "infusion_ended")
        assert (end["elapsed_s"], end["source"], end["details"]) == (200.0, "web", {"duration_s": 140.0})
        status = cli("status").stdout
        assert "infusion:  1:00 to 3:20 (2:20)" in status
        assert "recovery:  until at least 33:20 (infusion end + 30:00)" in status
        dues = [(r["elapsed_s"], r["details"]["text"]) for r in records(config, sid, "checkpoint_due")]
        assert dues == [(180.0, "BP and HR")]                  # the 5:00 one comes after the end: never due
        st = to(daemon, clock, 800.0)
        assert st["phase"] == "recovery" and st["elapsed_s"] + st["phase_remaining_s"] == pytest.approx(2000.0)


def test_the_anchors_survive_a_restart(tmp_path: Path, playlist: Path) -> None:
    clock = FakeClock()
    config = daemon_config(tmp_path / "data")
    with Daemon(config, clock=clock) as daemon:
        sock = daemon.config.socket_path
        sid = send_request(sock, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 30.0)
        send_request(sock, {"action": "infusion", "event": "start"})
        to(daemon, clock, 100.0)
    clock.advance(20)                                             # down 20 s
    with Daemon(config, clock=clock) as daemon:
        assert daemon.controller.sync()
        st = daemon.status()
        assert st["session_id"] == sid and st["infusion"]["started_s"] == 30.0
        with pytest.raises(SessionRefused, match="the infusion already started at 0:30"):
            send_request(daemon.config.socket_path, {"action": "infusion", "event": "start"})
        st = to(daemon, clock, 151.0)
        assert st["checkpoints"][0]["state"] == "due" and st["checkpoints"][0]["at_s"] == 150.0
    assert [r["elapsed_s"] for r in records(config, sid, "checkpoint_due")] == [150.0]
