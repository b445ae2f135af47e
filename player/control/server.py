"""The control socket's server: line-delimited JSON over a Unix socket, owner and group only (0660).

One request per line, one answer per line: ``{"action": "pause"}`` ->
``{"ok": true, "status": {...}}`` or ``{"ok": false, "error": "cannot pause: ..."}``;
``{"action": "status"}`` changes nothing. The server turns lines into `Controller` calls
and nothing else, with three rules of its own:

* **who asks is the kernel's word**: the source is always ``cli`` and the record carries
  the caller's uid, gid and pid (SO_PEERCRED); a ``source`` or ``actor`` in the request is ignored;
* **a control is applied only while its caller waits for it**: the request carries when it
  was sent and how long the caller waits (``sent_at``, ``timeout_s``; at most 30 s, see
  deadline.py); one read after that deadline (the daemon was frozen) is refused, and the
  engine drops one whose deadline passed or whose caller hung up before its turn;
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
import time
from collections.abc import Callable
from pathlib import Path

from player.control.controller import Controller
from player.control.deadline import engine_wait_s, peer_waiting
from player.errors import DaemonUnreachable, PlaylistNotFound, SessionRefused
from player.playlist.library import library_playlist

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 16 * 1024
MAX_CLIENTS = 32
IDLE_TIMEOUT_S = 60.0
BACKLOG = 64
CLOSE_WAIT_S = 5.0    # close waits this long at most for the serving thread to see it


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


def _answer(server: _Server, line: bytes, peer: dict, waiting: Callable[[], bool]) -> dict:
    try:
        request = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"ok": False, "error": "not a JSON line"}
    if not isinstance(request, dict) or not isinstance(request.get("action"), str):
        return {"ok": False, "error": 'a request is a JSON object with an "action", e.g. {"action": "status"}'}
    action = request.pop("action")
    request.pop("source", None)          # the socket says who asks; a client cannot choose
    request.pop("actor", None)
    try:
        wait_s = engine_wait_s(request.pop("sent_at", None), request.pop("timeout_s", None), time.monotonic())
        if action == "status":
            return {"ok": True, "status": server.status()}
        if action in ("start", "load") and request.get("playlist") is not None:
            request["playlist"] = str(server.playlist_for(request["playlist"], peer))
        return {"ok": True, "status": server.controller.submit(action, source="cli", actor=peer, timeout_s=wait_s,
                                                               wanted=waiting, **request)}
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
                    self._send(_answer(server, line, peer, lambda: peer_waiting(self.request)))
        finally:
            server.slots.release()

    def _send(self, answer: dict) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    timeout = None                      # handle_request waits for a client, with no timer
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

    A folder that refuses the socket (a read-only or full data disk, when the socket is there:
    manual runs, ``demo``, or ``session.socket`` set so) does not stop the player: `start()`
    then serves nothing and says why in `fault` (the daemon shows it like any fault).

    Args:
        data_dir: where the USB library is (library playlists by name); None: paths only.
        status: what a ``status`` request answers (the daemon's, with its own faults: a station feed or
            web page that did not start; the headphones); None: the controller's.
    """

    def __init__(self, path: Path, controller: Controller, *, data_dir: Path | None = None,
                 status: Callable[[], dict] | None = None) -> None:
        self.path = Path(path)
        self._controller = controller
        self._status = status or controller.status
        self._data_dir = data_dir
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self.fault: str | None = None

    def __repr__(self) -> str:
        return f"<ControlSocketServer {self.path} {'serving' if self._server else 'closed'}>"

    def start(self) -> None:
        """Bind and serve; a folder that refuses the socket sets `fault` instead of raising.

        Raises:
            DaemonUnreachable: another player answers on `path`.
        """
        if (self.path.exists() or self.path.is_symlink()) and _answers(self.path):
            raise DaemonUnreachable(f"another player already serves {self.path}")
        try:
            self._bind()
        except OSError as exc:
            self.fault = (f"control socket {self.path}: {exc.strerror or exc}; the CLI cannot reach this player "
                          "(set session.socket to a writable folder; the service's is /run/session-player)")
            log.error("%s", self.fault)
            return
        self._closing.clear()
        self._thread = threading.Thread(target=self._serve, args=(self._server,), name="control-socket", daemon=True)
        self._thread.start()

    def _serve(self, server: _Server) -> None:
        """Answer clients until `close`: asleep in the kernel between them (no polling: a chair
        plays for hours with nobody asking, and each wake-up is CPU the audio could use)."""
        while not self._closing.is_set():
            server.handle_request()

    def _bind(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()  # left by a crash
        old_umask = os.umask(0o117)
        try:
            self._server = _Server(str(self.path), self._controller, self._data_dir, self._status)
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o660)

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            self._closing.set()
            with contextlib.suppress(OSError):
                server.socket.shutdown(socket.SHUT_RDWR)    # wakes the serving thread's select (Linux)
            if self._thread is not None:
                self._thread.join(CLOSE_WAIT_S)
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
