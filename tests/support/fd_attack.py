"""A client that holds many half-sent HTTP requests open, as an attacker on the LAN would.

`HalfHeadFlood` keeps `count` connections to the staff page, each having sent half a
request head and no token, spread over several source addresses (127.0.0.2, .3, ... on
loopback stand in for devices on the LAN); whenever the server closes one, it opens
another, at most `max_opens_per_s`. Used by tests/web/test_fd_attack.py and
bench/web_fd_attack.py.
"""

from __future__ import annotations

import errno
import selectors
import socket
import threading
import time
from dataclasses import dataclass

HALF_HEAD = b"GET /api/status HTTP/1.1\r\nHost: player\r\nUser-Agent: flood\r\nX-Padding: "


@dataclass
class FloodStats:
    opened: int = 0
    closed_by_server: int = 0
    connect_failed: int = 0
    held_max: int = 0


class HalfHeadFlood:
    """Holds half-sent requests open on a background thread until `stop()`."""

    def __init__(self, host: str, port: int, count: int, sources: list[str], *, max_opens_per_s: float = 400) -> None:
        self.host, self.port, self.count, self.sources = host, port, count, sources
        self.rate = max_opens_per_s
        self.stats = FloodStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flood", daemon=True)
        self._held: set[socket.socket] = set()

    def __enter__(self) -> HalfHeadFlood:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    @property
    def held(self) -> int:
        return len(self._held)

    def _open(self, sel: selectors.DefaultSelector, n: int) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((self.sources[n % len(self.sources)], 0))
        code = s.connect_ex((self.host, self.port))
        if code not in (0, errno.EINPROGRESS):
            s.close()
            self.stats.connect_failed += 1
            return
        self.stats.opened += 1
        sel.register(s, selectors.EVENT_WRITE, "connecting")

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        opened, tokens, last = 0, float(self.count), time.monotonic()  # a token bucket paces re-opening
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                tokens, last = min(float(self.count), tokens + (now - last) * self.rate), now
                while len(sel.get_map()) < self.count and tokens >= 1:
                    self._open(sel, opened)
                    opened, tokens = opened + 1, tokens - 1
                for key, _ in sel.select(timeout=0.02):
                    self._event(sel, key)
                self.stats.held_max = max(self.stats.held_max, len(self._held))
        finally:
            for key in list(sel.get_map().values()):
                key.fileobj.close()
            sel.close()
            self._held.clear()

    def _event(self, sel: selectors.DefaultSelector, key: selectors.SelectorKey) -> None:
        s: socket.socket = key.fileobj  # type: ignore[assignment]
        if key.data == "connecting":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                self._drop(sel, s, failed=True)
                return
            try:
                s.send(HALF_HEAD)
            except OSError:
                self._drop(sel, s)
                return
            sel.modify(s, selectors.EVENT_READ, "held")
            self._held.add(s)
            return
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            self._drop(sel, s)

    def _drop(self, sel: selectors.DefaultSelector, s: socket.socket, *, failed: bool = False) -> None:
        if failed:
            self.stats.connect_failed += 1
        else:
            self.stats.closed_by_server += 1
        sel.unregister(s)
        self._held.discard(s)
        s.close()
