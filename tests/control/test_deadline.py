"""One deadline carried from the caller: a control the caller was told had failed is never applied later.

Reproduces issue 25 as it was found: the real daemon frozen with SIGSTOP (standing in for
an SD-card I/O stall or swap) while the CLI waits, a raw client that sends ``start`` and
hangs up after 1 s, and ``mark`` with a 3 s timeout; after SIGCONT nothing is applied.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from player.control import send_request
from player.control.deadline import ANSWER_MARGIN_S, MAX_WAIT_S, engine_wait_s
from player.daemon import Daemon
from player.engine.eventlog import read_events, session_log_path
from player.errors import DaemonUnreachable, SessionRefused
from tests.engine.conftest import daemon_config

CLI = [sys.executable, "-m", "player.cli"]
SETTLE_S = 3.0   # nothing to wait on for "it did NOT happen": watch this long after the daemon answers again


def test_the_wait_is_the_callers_deadline_bounded_by_the_server() -> None:
    assert engine_wait_s(None, None, 100.0) == pytest.approx(10.0 - ANSWER_MARGIN_S)
    assert engine_wait_s(95.0, 15.0, 100.0) == pytest.approx(10.0 - ANSWER_MARGIN_S)
    assert engine_wait_s(100.0, 1e9, 100.0) == MAX_WAIT_S - ANSWER_MARGIN_S
    assert engine_wait_s(100.0, 1e308, 100.0) == MAX_WAIT_S - ANSWER_MARGIN_S
    assert engine_wait_s(1e308, 15.0, 100.0) == pytest.approx(15.0 - ANSWER_MARGIN_S)  # "sent in the future": now
    with pytest.raises(SessionRefused, match="past its 15 s deadline"):
        engine_wait_s(80.0, 15.0, 100.0)
    for bad in (10 ** 400, float("nan"), float("inf"), -1, 0, "15", True):
        with pytest.raises(SessionRefused, match="timeout_s must be"):
            engine_wait_s(100.0, bad, 100.0)
    with pytest.raises(SessionRefused, match="sent_at must be"):
        engine_wait_s(10 ** 400, 15.0, 100.0)


def _raw(sock_path: Path, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(sock_path))
        s.sendall(json.dumps(request).encode() + b"\n")
        return json.loads(s.makefile("rb").readline())


def test_a_request_read_after_its_deadline_is_refused_and_a_client_picks_neither_wait_nor_actor(
        tmp_path: Path, demo_playlist: Path) -> None:
    with Daemon(daemon_config(tmp_path / "data")) as daemon:
        sock = daemon.config.socket_path
        late = _raw(sock, {"action": "start", "playlist": str(demo_playlist),
                           "sent_at": time.monotonic() - 20, "timeout_s": 15})
        assert late == {"ok": False, "error": late["error"]} and "it was not applied" in late["error"]
        assert daemon.controller.status()["state"] == "idle"
        started = _raw(sock, {"action": "start", "playlist": str(demo_playlist), "timeout_s": 1e308,
                              "actor": {"uid": 0, "gid": 0, "pid": 1}})
        assert started["ok"] is True, started
        marked = _raw(sock, {"action": "mark", "text": "x", "timeout_s": 1e9, "sent_at": 1e308})
        assert marked["ok"] is True, marked
        huge = _raw(sock, {"action": "mark", "text": "y", "timeout_s": 10 ** 400})
        assert huge["ok"] is False and "timeout_s must be" in huge["error"]
        events = read_events(session_log_path(daemon.config.data_dir, started["status"]["session_id"]))
        record = next(e for e in events if e["type"] == "session_started")
        assert record["actor"] == {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid()}


@pytest.fixture
def frozen_daemon(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path, Path]]:
    """The real daemon (`session-player run`) in its own process, to freeze with SIGSTOP."""
    data = tmp_path / "data"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(daemon_config(data)))
    sock = data / "control.sock"
    proc = subprocess.Popen([*CLI, "run", "--config", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the daemon exited"
            try:
                send_request(sock, {"action": "status"}, timeout_s=2)
                break
            except DaemonUnreachable:
                assert time.monotonic() < deadline, "the daemon did not come up"
                time.sleep(0.05)   # a process coming up: nothing to wait on
        yield proc, sock, cfg
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.terminate()
        proc.wait(30)


def _settled_state(sock: Path) -> set[str]:
    """Every state seen over `SETTLE_S` once the thawed daemon answers again."""
    seen = set()
    until = time.monotonic() + SETTLE_S
    while time.monotonic() < until:
        seen.add(send_request(sock, {"action": "status"}, timeout_s=10)["state"])
        time.sleep(0.1)
    return seen


def test_start_from_the_cli_to_a_frozen_daemon_is_not_applied_after_it_thaws(frozen_daemon, demo_playlist) -> None:
    proc, sock, cfg = frozen_daemon
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        out = subprocess.run([*CLI, "start", str(demo_playlist), "--config", str(cfg)],
                             capture_output=True, text=True, timeout=60)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert out.returncode == 1 and "did not answer within 15 s" in out.stderr, out.stderr
    assert _settled_state(sock) == {"idle"}


def test_a_raw_client_that_hangs_up_after_1_s_gets_nothing_applied(frozen_daemon, demo_playlist) -> None:
    proc, sock, _cfg = frozen_daemon
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:   # no sent_at: only the hang-up tells
            s.connect(str(sock))
            s.sendall(json.dumps({"action": "start", "playlist": str(demo_playlist)}).encode() + b"\n")
            s.settimeout(1.0)
            with pytest.raises(TimeoutError):
                s.recv(100)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert _settled_state(sock) == {"idle"}


def test_mark_with_a_3_s_timeout_to_a_frozen_daemon_is_not_recorded(frozen_daemon, demo_playlist, tmp_path) -> None:
    proc, sock, _cfg = frozen_daemon
    session = send_request(sock, {"action": "start", "playlist": str(demo_playlist)})["session_id"]
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        with pytest.raises(DaemonUnreachable, match="did not answer within 3 s"):
            send_request(sock, {"action": "mark", "text": "told it failed"}, timeout_s=3)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    send_request(sock, {"action": "mark", "text": "after the thaw"})
    _settled_state(sock)
    marks = [e["details"]["text"] for e in read_events(session_log_path(tmp_path / "data", session))
             if e["type"] == "marked"]
    assert marks == ["after the thaw"]
