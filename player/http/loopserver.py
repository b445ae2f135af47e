"""`LoopServer`: an aiohttp application on its own thread and asyncio loop, behind the connection limits.

Shared by the chair's staff page (`WebServer`) and the nursing station (`StationServer`):
the thread and loop, the listening socket whose every connection passes the
`ConnectionGate` (player/http/limits.py) before aiohttp sees it, the one-line logs
(quietlog.py), start-up errors raised on the caller's thread, and an idempotent `close()`.
A subclass builds its application in `_build_app` (on the loop) and may act once bound
(`_started`) and before the runner stops (`_stopping`).
"""

from __future__ import annotations

import asyncio
import logging
import threading

import aiohttp
from aiohttp import web

from player.config import WebConfig
from player.http.limits import ACCEPT_BACKLOG, ConnectionGate, Limits, connection_cap
from player.http.quietlog import AIOHTTP_LOGGERS, OneLineFilter, Tally, loop_exception_handler

START_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 3.0
#: After an answer sent before the whole body came (408, 400), aiohttp reads on for this long
#: so the client sees the answer before the close (its default, 10 s, let a slow body hold on).
LINGER_S = 1.0
# aiohttp 3.9 takes shutdown_timeout on the runner; Debian 12's 3.8.4 hands the runner's keywords on to
# each connection's handler, which has no such parameter, so every connection would be dropped.
_SHUTDOWN_ON_RUNNER = tuple(int(p) for p in aiohttp.__version__.split(".")[:2]) >= (3, 9)


class LoopServer:
    """Constructing does no I/O; `start()` binds and serves; `close()` is idempotent.

    Args:
        web_cfg: bind, port and the connection limits.
        what: what is served, for messages ("the staff page").
        logger: where the server's lines go.
    """

    def __init__(self, web_cfg: WebConfig, what: str, logger: logging.Logger) -> None:
        self._web_cfg = web_cfg
        self._what = what
        self._log = logger
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self._gate: ConnectionGate | None = None
        self._log_filter = OneLineFilter()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.port: int | None = None
        self._closed = False

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8080`` (the bind address; 0.0.0.0 shows as such)."""
        if self.port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host = self._web_cfg.bind
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    @property
    def connections(self) -> int:
        """Connections held now (for tests and bench; read from another thread, so approximate)."""
        return self._gate.open_count if self._gate is not None else 0

    @property
    def refused(self) -> dict[str, int]:
        """Connections refused or closed by the limits since start, by reason (tests, bench)."""
        return dict(self._gate.tally.totals) if self._gate is not None else {}

    # --- for subclasses --------------------------------------------------------------

    async def _build_app(self) -> web.Application:
        raise NotImplementedError

    async def _started(self) -> None:
        """Bound and serving (on the loop)."""

    async def _stopping(self) -> None:
        """The listening socket is closed; the runner is stopped next (end live streams here)."""

    def _closing(self) -> None:
        """`close()` began (caller's thread), before the loop is asked to stop."""

    # --- life cycle -------------------------------------------------------------------

    def _serve_thread(self, name: str) -> None:
        """Run the loop on a new thread; returns once bound. Raises OSError when it cannot serve."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            self.close()
            raise OSError(f"the web server did not start within {START_TIMEOUT_S:g} s")
        if self._startup_error is not None:
            error = self._startup_error
            self.close()
            raise OSError(f"cannot serve {self._what} on {self._web_cfg.bind}:{self._web_cfg.port}: {error}") from error
        self._log.info("%s at %s", self._what[0].upper() + self._what[1:], self.url)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - handed to start() to raise on the caller's thread
            self._startup_error = exc
            self._loop = None
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        web_cfg = self._web_cfg
        loop.set_exception_handler(loop_exception_handler(self._log))
        for name in AIOHTTP_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        limits = Limits(max_total=connection_cap(web_cfg.max_connections),
                        max_per_address=web_cfg.max_connections_per_address, header_timeout_s=web_cfg.header_timeout_s)
        self._gate = ConnectionGate(limits, Tally(self._log, loop.call_later))
        app = await self._build_app()
        shutdown = {"shutdown_timeout": SHUTDOWN_TIMEOUT_S} if _SHUTDOWN_ON_RUNNER else {}
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     keepalive_timeout=web_cfg.idle_timeout_s, lingering_time=LINGER_S, **shutdown)
        await self._runner.setup()
        try:  # our own listening socket: every connection passes the gate before aiohttp sees it
            self._server = await loop.create_server(self._gate.protocol_factory(self._runner.server), web_cfg.bind,
                                                    web_cfg.port, backlog=ACCEPT_BACKLOG, reuse_address=True)
        except BaseException:
            await self._runner.cleanup()
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        await self._started()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()  # no new connections
        await self._stopping()
        if self._runner is not None:
            await self._runner.cleanup()

    def close(self) -> None:
        """Stop serving and end live streams; safe to call twice or before start."""
        if self._closed:
            return
        self._closed = True
        self._closing()
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive() and not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            try:
                future.result(SHUTDOWN_TIMEOUT_S + 2)
            except Exception:  # noqa: BLE001 - closing must go on
                self._log.exception("web server shutdown failed")
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(SHUTDOWN_TIMEOUT_S + 2)
        for name in AIOHTTP_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)
        self._closed_all()

    def _closed_all(self) -> None:
        """The thread has ended (caller's thread): release what remains."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        raise NotImplementedError
