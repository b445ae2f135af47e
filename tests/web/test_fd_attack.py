"""Issue 15 case 1: unauthenticated fd exhaustion must not silence the music.

The real daemon (`session-player run`, simulated audio, real files, sockets and log) runs
in a child process under a lowered RLIMIT_NOFILE while a flood holds more half-sent
requests to its web port than it has fds at all, from 20 source addresses, reopening
every one the server closes. Meanwhile the music must go on (tracks keep starting, none
skipped), `status` and `mark` must answer on the control socket, and the daemon's log
must grow by less than 1 MB. Before the limits, every track failed to open ("cannot
decode"), saves failed and the log grew by megabytes a second.

Only default ``web:`` settings are used (port aside), so the test runs the same against
older code.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from player.control import send_request
from player.engine.eventlog import read_events
from player.errors import PlayerError
from tests.support.audio_files import write_audio
from tests.support.fd_attack import HalfHeadFlood

ROOT = Path(__file__).parents[2]
FD_LIMIT = 256
ATTACK_S = 15.0
TRACK_S = 6.0
SOURCES = [f"127.0.0.{i}" for i in range(2, 22)]
PLAYLIST = """\
name: Under attack
crossfade: 1s
phases:
  - name: onset
    duration: 10m
    tracks: [music/*.flac]
"""


@dataclass
class AttackResult:
    status_ms: list[float] = field(default_factory=list)
    mark_ms: list[float] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    log_growth_bytes: int = 0
    opened: int = 0
    held_max: int = 0
    closed_by_server: int = 0
    tracks_started: int = 0
    tracks_skipped: int = 0
    http_after: int = 0
    daemon_fds_max: int = 0


def _limit_fds() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def _wait_for_port(log_path: Path, proc: subprocess.Popen, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.search(r"staff page at http://127\.0\.0\.1:(\d+)", log_path.read_text(errors="replace"))
        if found:
            return int(found.group(1))
        assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
        time.sleep(0.05)
    raise AssertionError("the daemon did not start its web page:\n" + log_path.read_text(errors="replace")[-3000:])


def run_attack(tmp_path: Path, attack_s: float = ATTACK_S, connections: int = FD_LIMIT + 100) -> AttackResult:
    """Start the daemon under the fd limit, play, flood, measure; stop it. Shared with bench/web_fd_attack.py."""
    folder = tmp_path / "playlist"
    for i in range(3):
        write_audio(folder / "music" / f"{i}.flac", TRACK_S)
    (folder / "attack.yaml").write_text(PLAYLIST)
    data_dir = tmp_path / "data"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"room": "Room 3", "data_dir": str(data_dir), "audio": {"output": "fake"},
                                      "hardware": {"enabled": False},
                                      "web": {"enabled": True, "port": 0, "bind": "127.0.0.1"}}))
    log_path = tmp_path / "daemon.log"
    result = AttackResult()
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "player.cli", "run", "--config", str(config)], cwd=ROOT,
                                stdout=log_file, stderr=subprocess.STDOUT, preexec_fn=_limit_fds)
    try:
        port = _wait_for_port(log_path, proc)
        sock = data_dir / "control.sock"
        started = send_request(sock, {"action": "start", "playlist": str(folder / "attack.yaml")})
        assert started["state"] == "playing", started
        session_log = data_dir / "sessions" / started["session_id"] / "events.jsonl"
        log_before = log_path.stat().st_size
        with HalfHeadFlood("127.0.0.1", port, connections, SOURCES) as flood:
            end = time.monotonic() + attack_s
            n = 0
            while time.monotonic() < end:
                status = _timed(result, result.status_ms, sock, {"action": "status"})
                if status is not None:
                    result.states.append(status["state"])
                if n % 4 == 0:
                    _timed(result, result.mark_ms, sock, {"action": "mark", "text": f"under attack {n}"})
                result.daemon_fds_max = max(result.daemon_fds_max, _fds_of(proc.pid))
                n += 1
                time.sleep(0.25)
            result.opened = flood.stats.opened
            result.held_max = flood.stats.held_max
            result.closed_by_server = flood.stats.closed_by_server
        result.log_growth_bytes = log_path.stat().st_size - log_before
        token = (data_dir / "web-token").read_text().strip()
        result.http_after = _http_status(port, token)
        events = read_events(session_log)
        result.tracks_started = sum(e["type"] == "track_started" for e in events)
        result.tracks_skipped = sum(e["type"] == "track_skipped" for e in events)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return result


def _fds_of(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def _timed(result: AttackResult, times_ms: list[float], sock: Path, request: dict) -> dict | None:
    t0 = time.perf_counter()
    try:
        answer = send_request(sock, request, timeout_s=5)
    except (OSError, PlayerError) as exc:  # the failure under attack: recorded, asserted by the test
        result.failures.append(f"{request['action']}: {type(exc).__name__}: {exc}")
        return None
    times_ms.append((time.perf_counter() - t0) * 1000)
    return answer


def _http_status(port: int, token: str) -> int:
    from http.client import HTTPConnection

    for _ in range(50):  # the flood's last connections may still be closing
        conn = HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/api/status", headers={"Authorization": f"Bearer {token}"})
            return conn.getresponse().status
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    return 0


def test_half_sent_requests_beyond_the_fd_limit_do_not_silence_the_music(tmp_path):
    assert os.sysconf("SC_OPEN_MAX") > FD_LIMIT + 200, "the test process itself needs the fds for the flood"
    result = run_attack(tmp_path)
    assert result.opened > FD_LIMIT  # the flood opened more connections than the daemon has fds
    assert result.failures == []
    assert set(result.states) == {"playing"}, result.states
    assert result.tracks_skipped == 0
    assert result.tracks_started >= 4  # 3 s tracks: several started during the attack, none failed
    assert result.mark_ms and result.status_ms
    assert result.log_growth_bytes < 1_000_000
    assert result.daemon_fds_max < FD_LIMIT
    assert result.http_after == 200  # and staff can use the page once the flood stops
