"""The control socket on real Unix sockets: who asks is the kernel's word, and no client holds it up."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest

from player.control import send_request
from player.control.server import _Handler, may_read
from player.daemon import Daemon
from player.engine.eventlog import read_events, session_log_path
from player.errors import SessionRefused
from tests.engine.conftest import daemon_config
from tests.support.wakeups import wakeups


@pytest.fixture
def daemon(tmp_path: Path):
    with Daemon(daemon_config(tmp_path / "data")) as d:
        yield d


def test_a_spoofed_source_is_ignored_and_the_caller_is_recorded(daemon, demo_playlist: Path) -> None:
    sock = daemon.config.socket_path
    st = send_request(sock, {"action": "start", "playlist": str(demo_playlist), "source": "button"})
    send_request(sock, {"action": "mark", "text": "who pressed?", "source": "system"})
    events = read_events(session_log_path(daemon.config.data_dir, st["session_id"]))
    for kind in ("session_started", "marked"):
        record = next(e for e in events if e["type"] == kind)
        assert record["source"] == "cli"
        assert record["actor"] == {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid()}
    assert all("actor" not in e for e in events if e["source"] == "system")


def test_a_relative_path_or_an_unknown_library_name_is_refused(daemon) -> None:
    sock = daemon.config.socket_path
    with pytest.raises(SessionRefused, match="absolute path"):
        send_request(sock, {"action": "start", "playlist": "playlists/x.yaml"})
    with pytest.raises(SessionRefused, match="no playlist 'iv-ketamine' in the library"):
        send_request(sock, {"action": "start", "playlist": "iv-ketamine"})


def test_may_read_follows_the_permissions_of_the_callers_uid_and_groups(tmp_path: Path) -> None:
    top = Path(tempfile.mkdtemp(prefix="may-read-", dir="/tmp"))     # a tree any user may search
    folder = top / "clinic"
    folder.mkdir()
    os.chmod(top, 0o755)
    secret = folder / "secret.yaml"
    secret.write_text("name: x\n")
    os.chown(folder, 0, 0)
    os.chown(secret, 0, 0)
    nobody, nogroup = 65534, {65534}
    os.chmod(folder, 0o755)
    os.chmod(secret, 0o600)
    assert may_read(secret, 0, {0}) and not may_read(secret, nobody, nogroup)   # /etc/shadow's case
    os.chmod(secret, 0o640)
    assert not may_read(secret, nobody, nogroup) and may_read(secret, nobody, {65534, 0})   # by group
    os.chmod(secret, 0o644)
    assert may_read(secret, nobody, nogroup)
    os.chmod(folder, 0o700)
    assert not may_read(secret, nobody, nogroup)            # a folder on the way it may not search
    assert may_read(secret, 0, {0})                           # root reads regardless
    assert not may_read(tmp_path / "missing.yaml", nobody, nogroup)
    shutil.rmtree(top)


def test_a_hundred_clients_at_once_all_get_an_answer(daemon) -> None:
    sock = daemon.config.socket_path
    answers: list[str] = []
    lock = threading.Lock()
    go = threading.Event()

    def client() -> None:
        go.wait(5)
        try:
            state = send_request(sock, {"action": "status"}, timeout_s=20)["state"]
        except Exception as exc:  # noqa: BLE001 - any failure is counted, not raised in a thread
            state = f"failed: {exc}"
        with lock:
            answers.append(state)

    threads = [threading.Thread(target=client) for _ in range(100)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(30)
    assert len(answers) == 100
    busy = [a for a in answers if a != "idle"]
    assert all("busy" in a for a in busy), busy[:3]            # at worst "busy, try again"; never refused
    assert len(busy) <= 20


def test_a_silent_client_is_dropped_and_others_are_served(daemon, monkeypatch) -> None:
    monkeypatch.setattr(_Handler, "timeout", 0.5)
    sock = daemon.config.socket_path
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.connect(str(sock))
        silent.sendall(b'{"action": "sta')                   # half a request, then nothing
        silent.settimeout(10)
        assert silent.recv(100) == b""                        # closed by the server
        assert send_request(sock, {"action": "status"})["state"] == "idle"


def test_a_json_bomb_gets_an_error_line(daemon) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(daemon.config.socket_path))
        s.sendall(b"[" * 5000 + b"]" * 5000 + b"\n")
        assert json.loads(s.makefile("rb").readline())["ok"] is False


def test_the_server_sleeps_between_clients_and_close_wakes_it(tmp_path: Path) -> None:
    """Nobody asks for hours at a chair: the serving thread waits in the kernel, not on a poll timer
    (each wake-up is CPU the audio could use), and `close` still ends it at once."""
    from player.control.fake import FakeController
    from player.control.server import ControlSocketServer

    server = ControlSocketServer(tmp_path / "ctl.sock", FakeController())
    server.start()
    try:
        assert send_request(server.path, {"action": "status"})["state"] == "idle"
        assert server._thread is not None and server._thread.native_id is not None
        before = wakeups(server._thread.native_id)
        threading.Event().wait(1.5)         # a poll timer (socketserver's default: 0.5 s) would wake it 3 times
        assert wakeups(server._thread.native_id) == before
    finally:
        thread = server._thread
        server.close()
    assert thread is not None and not thread.is_alive()     # joined within close
    assert not server.path.exists()
