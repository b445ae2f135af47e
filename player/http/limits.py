"""Limits on connections to the staff page, enforced before any request is read.

Anyone on the clinic LAN can open TCP connections to the page (with ``web.bind: 0.0.0.0``),
token or not. Each open connection costs the daemon a file descriptor, and the same fds
open the audio files, the audio device, the session log and the state file: 1,100 idle
connections once made every track fail to open and the music go silent. So, per
connection, before a byte of HTTP is parsed:

- a cap in total and per client address (IPv6: per /64, since one device holds many
  addresses there); the total is derived from the process's fd limit at start so that a
  reserve (`FD_RESERVE`) always stays free for the rest of the player;
- when the total is reached, the oldest connection still waiting for its request head is
  dropped to make room, so a flood of half-sent requests cannot lock staff out;
- the request head must arrive within ``web.header_timeout_s`` of connecting (a slowloris
  sends it a byte at a time); aiohttp's keep-alive timeout (``web.idle_timeout_s``)
  closes idle connections between requests.

`GuardedConnection` wraps each of aiohttp's `RequestHandler` protocols to do this; the
server builds them with `ConnectionGate.protocol_factory`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import resource
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from player.http.quietlog import Tally

log = logging.getLogger(__name__)

#: fds kept free for everything but the web page, on top of those open when the page starts:
#: two audio decks (file, device, libVLC's pipes and threads: about 20 each, measured
#: with `ls /proc/PID/fd` while crossfading), the session log, state-file saves (temp file +
#: folder), control-socket clients, report reads on the web's 4 I/O threads, and
#: `ACCEPT_BACKLOG` sockets that asyncio accepts in one go before they can be refused.
FD_RESERVE = 128
#: listen() backlog, and so the most sockets accepted at once (counted in `FD_RESERVE`).
ACCEPT_BACKLOG = 32
#: Below this many connections the page is hardly usable: warn (the fd limit is too low).
MIN_CONNECTIONS = 8


@dataclass(frozen=True)
class Limits:
    """What `ConnectionGate` enforces (from the ``web:`` config, the total capped by `connection_cap`)."""

    max_total: int
    max_per_address: int
    header_timeout_s: float


def open_fd_count() -> int:
    """fds open in this process now (Linux /proc; 0 where it cannot be counted)."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # the listing's own fd
    except OSError:
        return 0


def connection_cap(configured: int, *, reserve: int = FD_RESERVE, soft_limit: int | None = None,
                   in_use: int | None = None) -> int:
    """The most connections the page may hold: ``min(configured, soft_limit - in_use - reserve)``.

    Args:
        configured: ``web.max_connections``.
        soft_limit: RLIMIT_NOFILE's soft limit (default: this process's).
        in_use: fds open now (default: counted).

    Never below 1; below `MIN_CONNECTIONS` a warning says to raise ``LimitNOFILE``.
    """
    if soft_limit is None:
        soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft_limit == resource.RLIM_INFINITY:
        return configured
    in_use = open_fd_count() if in_use is None else in_use
    room = soft_limit - in_use - reserve
    cap = max(1, min(configured, room))
    if cap < configured:
        level = logging.WARNING if cap < MIN_CONNECTIONS else logging.INFO
        log.log(level, "the staff page takes at most %d connections (web.max_connections is %d): the fd limit "
                "is %d, %d are open and %d stay free for audio and the log; raise LimitNOFILE for more",
                cap, configured, soft_limit, in_use, reserve)
    return cap


def address_key(host: str | None) -> str:
    """The key the per-address cap counts: the IPv4 address, or the IPv6 address's /64."""
    if not host:
        return "?"
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


class ConnectionGate:
    """Counts the page's connections; lives on the server's event loop (not thread-safe).

    Args:
        limits: the caps and the header timeout.
        tally: where refusals and timeouts are counted (logged rate-limited).
    """

    def __init__(self, limits: Limits, tally: Tally) -> None:
        self.limits = limits
        self.tally = tally
        self._per_address: dict[str, int] = {}
        self._open: set[GuardedConnection] = set()
        self._waiting: OrderedDict[GuardedConnection, None] = OrderedDict()  # no request head yet, oldest first

    @property
    def open_count(self) -> int:
        return len(self._open)

    def protocol_factory(self, inner_factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A factory for `loop.create_server`: each connection's aiohttp protocol, guarded."""
        return lambda: GuardedConnection(self, inner_factory)

    def admit(self, conn: GuardedConnection) -> str | None:
        """Take `conn` in, or say why not ("per_address" or "full")."""
        if self._per_address.get(conn.key, 0) >= self.limits.max_per_address:
            return "per_address"
        if len(self._open) >= self.limits.max_total:
            if not self._waiting:
                return "full"
            oldest = next(iter(self._waiting))
            self.release(oldest)
            oldest.abort("evicted")
        self._open.add(conn)
        self._waiting[conn] = None
        self._per_address[conn.key] = self._per_address.get(conn.key, 0) + 1
        return None

    def head_received(self, conn: GuardedConnection) -> None:
        self._waiting.pop(conn, None)

    def release(self, conn: GuardedConnection) -> None:
        """Forget `conn` (idempotent)."""
        if conn not in self._open:
            return
        self._open.discard(conn)
        self._waiting.pop(conn, None)
        left = self._per_address[conn.key] - 1
        if left:
            self._per_address[conn.key] = left
        else:
            del self._per_address[conn.key]


class GuardedConnection(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind the gate and the request-head timer.

    Until admitted, nothing reaches aiohttp; a refused connection is reset at once (its fd
    is freed in the same loop iteration), without a response, which would cost more.
    """

    def __init__(self, gate: ConnectionGate, inner_factory: Callable[[], asyncio.Protocol]) -> None:
        self._gate = gate
        self._inner_factory = inner_factory
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tail = b""
        self.key = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.key = address_key(peer[0] if isinstance(peer, tuple) and peer else None)
        refused = self._gate.admit(self)
        if refused is not None:
            self._gate.tally.count(refused)
            self._transport = None
            transport.abort()
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._gate.limits.header_timeout_s, self._head_timed_out)
        self._inner = self._inner_factory()
        self._inner.connection_made(transport)

    def _head_timed_out(self) -> None:
        self._timer = None
        self._gate.tally.count("header_timeout")
        self._gate.release(self)
        self.abort("header timeout")

    def abort(self, why: str) -> None:
        """Reset the connection now (timer fired, or evicted to make room)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if why == "evicted":
            self._gate.tally.count("evicted")
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._inner is None:
            return
        if self._timer is not None:
            seen = self._tail + data
            if b"\r\n\r\n" in seen or b"\n\n" in seen:
                self._timer.cancel()
                self._timer = None
                self._gate.head_received(self)
            else:
                self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._gate.release(self)
        inner, self._inner = self._inner, None
        self._transport = None
        if inner is not None:
            inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()
