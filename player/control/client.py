"""The CLI's end of the control socket: one request, one answer, clear words when it fails."""

from __future__ import annotations

import errno
import json
import socket
import time
from pathlib import Path

from player.config import GROUP_HINT
from player.core.vocabulary import is_active
from player.errors import DaemonUnreachable, SessionRefused

MAX_ANSWER_BYTES = 4 << 20


def send_request(path: Path, request: dict, timeout_s: float = 15.0) -> dict:
    """One request to the daemon; returns the status dict or raises.

    The request carries when it was sent and `timeout_s` (player/control/deadline.py): a
    control the daemon reaches only after this call gave up is refused, never applied late.

    Raises:
        DaemonUnreachable: no daemon listens at `path`, it is busy, or it closed without answering.
        SessionRefused: the daemon refused (the message says why).
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            _connect(sock, path, timeout_s)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonUnreachable(f"the player is not running (no answer on {path}: {exc.strerror}); "
                                    "start it with 'systemctl start session-player'") from None
        except PermissionError:
            raise DaemonUnreachable(f"not allowed to use {path}: {GROUP_HINT}") from None
        except BlockingIOError:
            raise DaemonUnreachable(f"the player is busy (too many clients on {path}); try again") from None
        except OSError as exc:
            raise DaemonUnreachable(f"cannot reach the player on {path}: {exc.strerror or exc}") from None
        data = b""
        try:
            stamped = {**request, "sent_at": time.monotonic(), "timeout_s": timeout_s}
            sock.sendall(json.dumps(stamped).encode("utf-8") + b"\n")
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk or len(data) > MAX_ANSWER_BYTES:
                    raise DaemonUnreachable("the player closed the connection without answering")
                data += chunk
        except TimeoutError:
            raise DaemonUnreachable(f"the player did not answer within {timeout_s:g} s") from None
        except OSError as exc:
            if exc.errno in (errno.ECONNRESET, errno.EPIPE):
                raise DaemonUnreachable("the player closed the connection without answering") from None
            raise DaemonUnreachable(f"cannot talk to the player: {exc.strerror or exc}") from None
    try:
        answer = json.loads(data)
    except ValueError:
        raise DaemonUnreachable("the player's answer was not readable") from None
    if not answer.get("ok"):
        raise SessionRefused(answer.get("error", "refused"))
    return answer["status"]


def _connect(sock: socket.socket, path: Path, timeout_s: float) -> None:
    """Connect, waiting while the daemon's listen queue is full (a Unix socket then says EAGAIN at once)."""
    deadline = time.monotonic() + timeout_s
    pause = 0.01
    while True:
        try:
            sock.connect(str(path))
            return
        except BlockingIOError:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def daemon_session_active(path: Path, timeout_s: float = 5.0) -> bool | None:
    """Whether the running daemon has a session (playing, paused, faulted); None when no daemon answers."""
    try:
        status = send_request(path, {"action": "status"}, timeout_s)
    except DaemonUnreachable:
        return None
    return is_active(str(status.get("state")))
