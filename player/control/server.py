"""The control socket's server: line-delimited JSON over a Unix socket, owner and group only (0660).

One request per line, one answer per line: ``{"action": "pause"}`` ->
``{"ok": true, "status": {...}}`` or ``{"ok": false, "error": "cannot pause: ..."}``;
``{"action": "status"}`` changes nothing. The server turns lines into `Controller` calls
and nothing else, with three rules of its own:

* **who asks is the kernel's word**: the source is always ``cli`` and the record carries
  the caller's uid, gid and pid (SO_PEERCRED); a ``source`` in the request is ignored;
* **the daemon reads no file for a caller that the caller could not read**: ``start`` and
  ``load`` take a library playlist by name, or an absolute path the caller's uid and groups
  may read (checked on every folder on the way);
* **no client holds it up**: at most 32 at a time, each line within 16 KiB, a connection
  idle for 60 s is closed, and a listen backlog of 64.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
import socket
import socketserver
import stat
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from player.errors import DaemonUnreachable, PlaylistNotFound, SessionRefused
from player.playlist.library import library_playlist
from player.session.control import Controller

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 16 * 1024
MAX_CLIENTS = 32
IDLE_TIMEOUT_S = 60.0
BACKLOG = 64


def peer_credentials(sock: socket.socket) -> dict:
    """pid, uid and gid of the process at the other end (Linux SO_PEERCRED)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    return {"pid": pid, "uid": uid, "gid": gid}


def peer_groups(peer: dict) -> set[int]:
    """The caller's groups: its process's (/proc/<pid>/status), else its account's.

    The unit's ``ProtectProc=invisible`` hides other users' processes, so the account's
    groups (the group database) are the usual answer there.
    """
    groups = {peer["gid"]}
    try:
        for line in Path(f"/proc/{peer['pid']}/status").read_text().splitlines():
            if line.startswith("Groups:"):
                return groups | {int(g) for g in line.split()[1:]}
    except (OSError, ValueError):
        pass
    with contextlib.suppress(KeyError, OSError):
        groups |= set(os.getgrouplist(pwd.getpwuid(peer["uid"]).pw_name, peer["gid"]))
    return groups


def _allows(st: os.stat_result, uid: int, groups: set[int], bit: int) -> bool:
    """Whether the mode lets `uid` (in `groups`) do `bit` (4 read, 1 search)."""
    if st.st_uid == uid:
        return bool(st.st_mode & (bit << 6))
    if st.st_gid in groups:
        return bool(st.st_mode & (bit << 3))
    return bool(st.st_mode & bit)


def may_read(path: Path, uid: int, groups: set[int]) -> bool:
    """Whether `uid` could open `path` for reading itself (every folder searchable, the file readable)."""
    if uid == 0:
        return True
    try:
        real = Path(os.path.realpath(path))
        for folder in reversed(real.parents):
            if not _allows(os.stat(folder), uid, groups, 1):
                return False
        st = os.stat(real)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and _allows(st, uid, groups, 4)


def _answer(server: _Server, line: bytes, peer: dict) -> dict:
    try:
        request = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"ok": False, "error": "not a JSON line"}
    if not isinstance(request, dict) or not isinstance(request.get("action"), str):
        return {"ok": False, "error": 'a request is a JSON object with an "action", e.g. {"action": "status"}'}
    action = request.pop("action")
    if action == "status":
        return {"ok": True, "status": server.status()}
    request.pop("source", None)          # the socket says who asks; a client cannot choose
    try:
        if action in ("start", "load") and request.get("playlist") is not None:
            request["playlist"] = str(server.playlist_for(request["playlist"], peer))
        return {"ok": True, "status": server.controller.submit(action, source="cli", actor=peer, **request)}
    except SessionRefused as exc:
        return {"ok": False, "error": str(exc)}
    except TypeError as exc:
        return {"ok": False, "error": f"bad arguments for {action}: {exc}"}
    except TimeoutError as exc:
        return {"ok": False, "error": str(exc)}


class _Handler(socketserver.StreamRequestHandler):
    timeout = IDLE_TIMEOUT_S            # a half-open or silent client is dropped

    def handle(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        if not server.slots.acquire(blocking=False):
            self._send({"ok": False, "error": f"the player is busy ({MAX_CLIENTS} clients); try again"})
            return
        try:
            peer = peer_credentials(self.request)
            while True:
                try:
                    line = self.rfile.readline(MAX_LINE_BYTES + 1)
                except (TimeoutError, OSError):
                    return
                if not line:
                    return
                if len(line) > MAX_LINE_BYTES:
                    self._send({"ok": False, "error": f"request longer than {MAX_LINE_BYTES} bytes"})
                    return
                if line.strip():
                    self._send(_answer(server, line, peer))
        finally:
            server.slots.release()

    def _send(self, answer: dict) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self, path: str, controller: Controller, data_dir: Path | None,
                 status: Callable[[], dict]) -> None:
        super().__init__(path, _Handler)
        self.controller = controller
        self.status = status
        self.data_dir = data_dir
        self.slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def playlist_for(self, given: object, peer: dict) -> Path:
        """A library playlist by name, or an absolute path the caller may read itself.

        Raises:
            SessionRefused: neither, with what to do instead.
        """
        if not isinstance(given, str) or not given or "\0" in given:
            raise SessionRefused("playlist must be a library playlist's name or an absolute path")
        if "/" not in given and self.data_dir is not None:
            try:
                return library_playlist(self.data_dir, given)
            except PlaylistNotFound as exc:
                raise SessionRefused(str(exc)) from None
        path = Path(given)
        if not path.is_absolute():
            raise SessionRefused(f"{given}: give the playlist's absolute path (or a library playlist's name)")
        if not may_read(path, peer["uid"], peer_groups(peer)):
            raise SessionRefused(f"{given}: no such playlist that you may read")
        return path


class ControlSocketServer:
    """Serves `controller` on `path`; `start()` binds (replacing a stale socket), `close()` is idempotent.

    Args:
        data_dir: where the USB library is (library playlists by name); None: paths only.
        status: what a status request answers (the daemon's: its faults, the headphones); default the controller's.
    """

    def __init__(self, path: Path, controller: Controller, *, data_dir: Path | None = None,
                 status: Callable[[], dict] | None = None) -> None:
        self.path = Path(path)
        self._controller = controller
        self._status = status or controller.status
        self._data_dir = data_dir
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<ControlSocketServer {self.path} {'serving' if self._server else 'closed'}>"

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                raise DaemonUnreachable(f"another player already serves {self.path}")
            self.path.unlink()  # left by a crash
        old_umask = os.umask(0o117)
        try:
            self._server = _Server(str(self.path), self._controller, self._data_dir, self._status)
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o660)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.5},
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
