"""The control socket: line-delimited JSON over a Unix socket, owner and group only (0660).

One request per line, one answer per line:
``{"action": "pause", "source": "cli"}`` -> ``{"ok": true, "status": {...}}`` or
``{"ok": false, "error": "cannot pause: ..."}``. ``{"action": "status"}`` returns the
status without changing anything. The server only turns lines into `Controller` calls;
the engine's queue does the rest. Malformed input gets an error line, never a crash.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import socketserver
import threading
from pathlib import Path

from player.errors import DaemonUnreachable, SessionRefused
from player.session.control import Controller

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 16 * 1024


def _answer(controller: Controller, line: bytes) -> dict:
    try:
        request = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return {"ok": False, "error": f"not a JSON line: {exc}"}
    if not isinstance(request, dict) or not isinstance(request.get("action"), str):
        return {"ok": False, "error": 'a request is a JSON object with an "action", e.g. {"action": "status"}'}
    action = request.pop("action")
    if action == "status":
        return {"ok": True, "status": controller.status()}
    source = request.pop("source", "cli")
    if not isinstance(source, str):
        return {"ok": False, "error": "source must be text"}
    try:
        return {"ok": True, "status": controller.submit(action, source=source, **request)}
    except SessionRefused as exc:
        return {"ok": False, "error": str(exc)}
    except TypeError as exc:
        return {"ok": False, "error": f"bad arguments for {action}: {exc}"}
    except TimeoutError as exc:
        return {"ok": False, "error": str(exc)}


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:
            line = self.rfile.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            if len(line) > MAX_LINE_BYTES:
                self._send({"ok": False, "error": f"request longer than {MAX_LINE_BYTES} bytes"})
                return
            if line.strip():
                self._send(_answer(self.server.controller, line))  # type: ignore[attr-defined]

    def _send(self, answer: dict) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class ControlSocketServer:
    """Serves `controller` on `path`; `start()` binds (replacing a stale socket), `close()` is idempotent."""

    def __init__(self, path: Path, controller: Controller) -> None:
        self.path = Path(path)
        self._controller = controller
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                raise DaemonUnreachable(f"another player already serves {self.path}")
            self.path.unlink()  # left by a crash
        old_umask = os.umask(0o117)
        try:
            self._server = _Server(str(self.path), _Handler)
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o660)
        self._server.controller = self._controller  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="control-socket", daemon=True)
        self._thread.start()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(path))
            return True
        except OSError:
            return False


def send_request(path: Path, request: dict, timeout_s: float = 15.0) -> dict:
    """One request to the daemon; returns the status dict or raises.

    Raises:
        DaemonUnreachable: no daemon listens at `path`.
        SessionRefused: the daemon refused (the message says why).
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonUnreachable(f"the player is not running (no answer on {path}: {exc.strerror}); "
                                    "start it with 'session-player run' or 'systemctl start session-player'") from None
        except PermissionError:
            raise DaemonUnreachable(f"not allowed to use {path}: add your user to the session-player group") from None
        sock.sendall(json.dumps(request).encode("utf-8") + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise DaemonUnreachable("the player closed the connection without answering")
            data += chunk
    answer = json.loads(data)
    if not answer.get("ok"):
        raise SessionRefused(answer.get("error", "refused"))
    return answer["status"]
