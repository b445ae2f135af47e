"""The daemon for real: its control socket, the CLI talking to it, and kill -9 in the middle."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from player.control import send_request
from player.daemon import Daemon
from player.engine.eventlog import read_events
from player.errors import DaemonUnreachable, SessionRefused
from tests.engine.conftest import daemon_config

CLI = [sys.executable, "-m", "player.cli"]


def test_daemon_status_and_controls_over_the_socket(tmp_path: Path, demo_playlist: Path) -> None:
    with Daemon(daemon_config(tmp_path / "data")) as daemon:
        sock = daemon.config.socket_path
        assert oct(os.stat(sock).st_mode & 0o777) == "0o660"
        assert send_request(sock, {"action": "status"})["state"] == "idle"
        st = send_request(sock, {"action": "start", "playlist": str(demo_playlist)})
        assert st["state"] == "playing" and st["phase"] == "settling" and st["session_id"]
        send_request(sock, {"action": "mark", "text": "BP 128/82"})
        with pytest.raises(SessionRefused, match="already playing"):
            send_request(sock, {"action": "resume"})
        assert daemon.status()["state"] == "playing"
        events = read_events(tmp_path / "data" / "sessions" / st["session_id"] / "events.jsonl")
        assert [e for e in events if e["type"] == "marked"][0]["source"] == "cli"
    assert not sock.exists()
    daemon.stop()  # idempotent


@pytest.mark.parametrize("line,error", [
    (b"not json\n", "not a JSON line"),
    (b"[1, 2]\n", 'a request is a JSON object with an "action"'),
    (b'{"action": "fly"}\n', "unknown action 'fly'"),
    (b'{"action": "extend", "minutes": "ten"}\n', "minutes must be a number"),
    (b'{"action": "mark", "text": "x", "colour": 1}\n', "mark takes no colour"),
    (b'{"action": "pause", "source": 7}\n', "cannot pause: no session is running"),  # source: ignored
    (b"\xff\xfe\n", "not a JSON line"),
])
def test_socket_protocol_errors_get_an_error_line(tmp_path: Path, line: bytes, error: str) -> None:
    with Daemon(daemon_config(tmp_path / "data")) as daemon, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(daemon.config.socket_path))
        s.sendall(line + b'{"action": "status"}\n')
        reader = s.makefile("rb")
        first, second = json.loads(reader.readline()), json.loads(reader.readline())
        assert first["ok"] is False and error in first["error"]
        assert second["ok"] is True and second["status"]["state"] == "idle"


def test_oversized_request_is_refused(tmp_path: Path) -> None:
    with Daemon(daemon_config(tmp_path / "data")) as daemon, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(daemon.config.socket_path))
        s.sendall(b"x" * 20000 + b"\n")
        assert "longer than" in json.loads(s.makefile("rb").readline())["error"]


def test_cli_without_daemon_says_so(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(daemon_config(tmp_path / "data")))
    out = subprocess.run([*CLI, "pause", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "the player is not running" in out.stderr
    with pytest.raises(DaemonUnreachable):
        send_request(tmp_path / "nothing.sock", {"action": "status"})


def _wait_for_socket(path: Path, proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "daemon exited"
        try:
            send_request(path, {"action": "status"}, timeout_s=2)
            return
        except DaemonUnreachable:
            time.sleep(0.05)
    raise AssertionError("daemon did not come up")


def test_kill_9_loses_no_acknowledged_event_and_resumes(tmp_path: Path, demo_playlist: Path) -> None:
    """Kill the real daemon at random points; every acknowledged mark is in the log afterwards."""
    data = tmp_path / "data"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(daemon_config(data)))
    sock = data / "control.sock"
    rng = random.Random(1234)
    acknowledged: list[str] = []
    session_id = None
    for round_ in range(4):
        proc = subprocess.Popen([*CLI, "run", "--config", str(cfg)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            _wait_for_socket(sock, proc)
            st = send_request(sock, {"action": "status"})
            if session_id is None:
                st = send_request(sock, {"action": "start", "playlist": str(demo_playlist)})
                session_id = st["session_id"]
            assert st["session_id"] == session_id and st["state"] == "playing", st
            for n in range(rng.randint(1, 15)):
                text = f"round {round_} mark {n}"
                send_request(sock, {"action": "mark", "text": text})
                acknowledged.append(text)
            time.sleep(rng.uniform(0, 0.3))  # let the kill land at a random point of the engine's work
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
            if proc.stderr:
                proc.stderr.close()
    events = read_events(data / "sessions" / session_id / "events.jsonl")
    marks = [e["details"]["text"] for e in events if e["type"] == "marked"]
    assert marks == acknowledged
    assert sum(e["type"] == "daemon_restarted" for e in events) == 3
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_a_track_that_went_bad_during_a_power_cut_does_not_drop_the_session(tmp_path: Path) -> None:
    from tests.support.audio_files import write_audio

    for name in ("a", "b"):
        write_audio(tmp_path / f"{name}.flac", 30.0)
    playlist = tmp_path / "p.yaml"
    playlist.write_text("name: P\ncrossfade: 2s\nphases:\n"
                        "  - name: onset\n    duration: 5m\n    tracks: [a.flac, b.flac]\n")
    with Daemon(daemon_config(tmp_path / "data")) as daemon:
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist)})["session_id"]
    (tmp_path / "b.flac").write_bytes(os.urandom(20_000))   # the stick's copy went bad while the power was off
    with Daemon(daemon_config(tmp_path / "data")) as daemon:
        status = daemon.status()
        assert status["state"] == "playing" and status["session_id"] == sid


def test_a_wall_clock_step_during_a_restart_changes_nothing(tmp_path: Path) -> None:
    """NTP (or fake-hwclock) moves the wall clock an hour during 2 s of downtime: the session goes on."""
    from player.clock import FakeClock
    from tests.support.audio_files import write_audio

    for name in ("a", "b"):
        write_audio(tmp_path / f"{name}.flac", 30.0)
    playlist = tmp_path / "p.yaml"
    playlist.write_text("name: P\ncrossfade: 2s\nphases:\n  - name: peak\n    duration: 20m\n    tracks: [a.flac]\n"
                        "  - name: comedown\n    duration: 20m\n    tracks: [b.flac]\n")
    clock = FakeClock()
    config = daemon_config(tmp_path / "data")
    with Daemon(config, clock=clock) as daemon:
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist)})
        clock.advance(600)
    clock.step_wall(3600)                       # the clock steps while the player is down...
    clock.advance(2)                            # ...for 2 s
    with Daemon(config, clock=clock) as daemon:
        status = daemon.status()
        assert status["state"] == "playing" and status["phase"] == "peak"
        assert 601.0 <= status["elapsed_s"] <= 603.0
        log = read_events(tmp_path / "data" / "sessions" / status["session_id"] / "events.jsonl")
        restart = next(e for e in log if e["type"] == "daemon_restarted")
        assert restart["details"]["gap_s"] == 2.0 and restart["details"]["gap_source"] == "boottime"
        assert not [e for e in log if e["type"] == "session_ended"]


def test_a_reboot_with_the_clock_behind_resumes_paused_for_staff(tmp_path: Path) -> None:
    from player.clock import FakeClock
    from tests.support.audio_files import write_audio

    write_audio(tmp_path / "a.flac", 30.0)
    playlist = tmp_path / "p.yaml"
    playlist.write_text("name: P\ncrossfade: 2s\nphases:\n  - name: peak\n    duration: 20m\n    tracks: [a.flac]\n")
    clock = FakeClock()
    config = daemon_config(tmp_path / "data")
    with Daemon(config, clock=clock) as daemon:
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist)})
        clock.advance(300)
    clock.reboot(down_s=60)
    clock.step_wall(-7200)                      # no RTC: the Pi booted with yesterday's time
    with Daemon(config, clock=clock) as daemon:
        status = daemon.status()
        assert status["state"] == "paused" and any("cannot be trusted" in f for f in status["faults"])
        assert send_request(daemon.config.socket_path, {"action": "resume"})["state"] == "playing"
