"""Checkpoints and observations on the real daemon: its socket, the CLI, the web API, a restart; a fake clock.

Each checkpoint comes due on the exact second on the session clock, is acknowledged by one
path (ack over the socket, an observation, the web page's API, the CLI), or is missed
after the grace; a refused observation leaves nothing in the log.
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
name: Checkpointed
crossfade: 2s
phases:
  - name: onset
    duration: 10m
    tracks: [a.flac]
  - name: peak
    duration: 20m
    tracks: [b.flac]
checkpoints:
  - {at: 40s, text: BP and sedation score}
  - {at: 2m, text: HR, repeat: 2m, until: 4m}
  - {at: 10m, text: Check the headphones}
  - {at: 20m, text: BP before the end}
"""


@pytest.fixture
def playlist(tmp_path: Path) -> Path:
    return playlist_with_tracks(tmp_path, PLAYLIST)


def states(status: dict) -> list[str]:
    return [c["state"] for c in status["checkpoints"]]


def test_due_on_time_acknowledged_by_each_path_missed_after_grace(tmp_path: Path, playlist: Path) -> None:
    clock = FakeClock()
    config = daemon_config(tmp_path / "data", session={"checkpoint_grace_s": 60}, web={"enabled": True, "port": 0})
    with Daemon(config, clock=clock) as daemon:
        sock = daemon.config.socket_path
        st = send_request(sock, {"action": "start", "playlist": str(playlist)})
        sid = st["session_id"]
        assert [(c["at_s"], c["text"]) for c in st["checkpoints"]][:3] == [
            (40.0, "BP and sedation score"), (120.0, "HR"), (240.0, "HR")]
        assert states(st) == ["upcoming"] * 5
        assert states(to(daemon, clock, 39.9)) == ["upcoming"] * 5
        assert states(to(daemon, clock, 40.0)) == ["due"] + ["upcoming"] * 4
        (due,) = records(config, sid, "checkpoint_due")
        assert (due["elapsed_s"], due["source"], due["details"]["text"]) == (40.0, "system", "BP and sedation score")

        # 1. an observation over the socket acknowledges the BP checkpoint ("BP..." starts with its label)
        before = len(records(config, sid))
        with pytest.raises(SessionRefused, match="systolic 1280 mmHg is outside the plausible range"):
            send_request(sock, {"action": "observe", "kind": "bp", "value": "1280/82"})
        assert len(records(config, sid)) == before                     # refused: nothing logged
        st = send_request(sock, {"action": "observe", "kind": "bp", "value": "128/82"})
        assert states(st)[0] == "done" and st["checkpoints"][0]["done_at_s"] == 40.0
        obs, ack = records(config, sid)[-2:]
        assert obs["type"] == "observation" and obs["details"]["value"] == "128/82" and obs["actor"]["uid"] >= 0
        assert (ack["type"], ack["source"], ack["details"]["observation"]) == ("checkpoint_acknowledged", "cli", "bp")

        # 2. ack over the socket (the oldest due one)
        assert states(to(daemon, clock, 125.0))[1] == "due"
        with pytest.raises(SessionRefused, match="no due checkpoint starts with 'BP'; due: HR"):
            send_request(sock, {"action": "ack", "text": "BP"})
        st = send_request(sock, {"action": "ack"})
        assert states(st)[:2] == ["done", "done"] and st["checkpoints"][1]["done_at_s"] == 125.0

        # 3. the web page's API
        api = Http(daemon.part(WebServer), daemon.config.token_path.read_text().strip())
        to(daemon, clock, 245.0)
        reply = api.control("ack", text="hr")
        assert reply.status == 200, reply.body
        assert states(reply.json()["status"])[2] == "done"
        bad = api.control("observe", kind="hr", value=720)
        assert bad.status == 400 and "hr 720 bpm is outside the plausible range" in bad.json()["error"]

        # 4. missed after the grace (60 s), even while paused; the pause moves the phases, not the checkpoints
        send_request(sock, {"action": "pause"})
        assert states(to(daemon, clock, 600.0))[3] == "due"
        assert states(to(daemon, clock, 660.0))[3] == "missed"
        missed = records(config, sid, "checkpoint_missed")
        assert [(m["elapsed_s"], m["details"]["text"]) for m in missed] == [(660.0, "Check the headphones")]
        with pytest.raises(SessionRefused, match="no checkpoint is due"):
            send_request(sock, {"action": "ack"})
        assert daemon.status()["state"] == "paused"
        acks = [(r["source"], r["details"]["index"]) for r in records(config, sid, "checkpoint_acknowledged")]
        assert acks == [("cli", 0), ("cli", 1), ("web", 2)]


def test_the_cli_acks_observes_and_refuses_a_typo(tmp_path: Path, playlist: Path) -> None:
    clock = FakeClock()
    config = daemon_config(tmp_path / "data")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    with Daemon(config, clock=clock) as daemon:
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 130.0)

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*CLI, *args, "--config", str(cfg)], capture_output=True, text=True, timeout=60)

        out = cli("observe", "bp", "1280/82")
        assert out.returncode == 1 and "systolic 1280 mmHg is outside the plausible range 50-260 mmHg" in out.stderr
        assert not records(config, sid, "observation")
        out = cli("status")
        assert "DUE:       BP and sedation score" in out.stdout and "DUE:       HR" in out.stdout
        out = cli("ack", "HR")
        assert out.returncode == 0, out.stderr
        out = cli("observe", "hr", "72", "--note", "after standing")
        assert out.returncode == 0, out.stderr
        out = cli("observe", "note", "patient", "asked", "for", "a", "blanket")
        assert out.returncode == 0, out.stderr
        assert [(r["details"]["kind"], r["details"]["value"]) for r in records(config, sid, "observation")] == [
            ("hr", 72), ("note", "patient asked for a blanket")]
        acks = records(config, sid, "checkpoint_acknowledged")
        assert [(a["details"]["index"], a["source"]) for a in acks] == [(1, "cli")]   # hr 72: no HR due any more
        assert "next:      HR at 4:00" in cli("status").stdout


def test_what_was_acknowledged_survives_a_restart(tmp_path: Path, playlist: Path) -> None:
    clock = FakeClock()
    config = daemon_config(tmp_path / "data")
    with Daemon(config, clock=clock) as daemon:
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 41.0)
        send_request(daemon.config.socket_path, {"action": "ack"})
        to(daemon, clock, 121.0)                       # HR due, not acknowledged
    clock.advance(5)
    with Daemon(config, clock=clock) as daemon:
        assert daemon.controller.sync()
        st = daemon.status()
        assert st["session_id"] == sid and states(st)[:3] == ["done", "due", "upcoming"]
        assert st["checkpoints"][0]["done_at_s"] == 41.0
    dues = [r["details"]["index"] for r in records(config, sid, "checkpoint_due")]
    assert dues == [0, 1]                              # each announced once, across the restart
