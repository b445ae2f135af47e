"""`WebServer`: runs the staff page and HTTP API on its own thread and asyncio loop.

The daemon builds it with the config and the session's `Controller`, calls `start()` once
the engine runs and `close()` on the way down. The server only talks to the controller:
controls go through `submit()` (the same engine queue as the bedside button), the live
page is fed by `subscribe()`, whose listener only hands records to this loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from aiohttp import web

from player.config import Config
from player.session.control import Controller
from player.session.events import describe
from player.web.api import build_app, status_payload
from player.web.auth import Authenticator, FailureLimiter
from player.web.events import EventHub
from player.web.limits import ACCEPT_BACKLOG, ConnectionGate, Limits, connection_cap
from player.web.quietlog import AIOHTTP_LOGGERS, OneLineFilter, Tally, loop_exception_handler
from player.web.token import load_or_create_token

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 3.0
#: After an answer sent before the whole body came (408, 400), aiohttp reads on for this long
#: so the client sees the answer before the close (its default, 10 s, let a slow body hold on).
LINGER_S = 1.0
# aiohttp 3.9 takes shutdown_timeout on the runner; Debian 12's 3.8.4 hands the runner's keywords on to
# each connection's handler, which has no such parameter, so every connection would be dropped.
_SHUTDOWN_ON_RUNNER = tuple(int(p) for p in aiohttp.__version__.split(".")[:2]) >= (3, 9)


class WebServer:
    """The staff web page. Constructing it does no I/O; `start()` binds, `close()` is idempotent.

    Args:
        config: `config.web` (bind, port, token file) and `config.data_dir` (reports).
        controller: the session's controller (the daemon's engine, or a fake in tests).
        tick_s: how often live pages get a status snapshot when nothing happens.
        status: where status snapshots come from (default `controller.status`); the daemon
            passes its own `status`, which adds its faults (e.g. the bedside hardware's).
    """

    def __init__(self, config: Config, controller: Controller, *, tick_s: float = 1.0,
                 status: Callable[[], dict] | None = None) -> None:
        self._config = config
        self._controller = controller
        self._status_source = status or controller.status
        self._tick_s = tick_s
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self._gate: ConnectionGate | None = None
        self._log_filter = OneLineFilter()
        self._hub: EventHub | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._unsubscribe = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.port: int | None = None
        self._closed = False

    def __repr__(self) -> str:
        where = self.url if self.port is not None else "not started"
        return f"<WebServer {where}{' closed' if self._closed else ''}>"

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8080`` (the bind address; 0.0.0.0 shows as such)."""
        if self.port is None:
            raise RuntimeError("WebServer is not started")
        host = self._config.web.bind
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    @property
    def live_clients(self) -> int:
        """How many live pages (SSE streams) are connected now (for tests, bench and logs)."""
        return self._hub.client_count if self._hub is not None else 0

    @property
    def connections(self) -> int:
        """Connections held now (for tests and bench; read from another thread, so approximate)."""
        return self._gate.open_count if self._gate is not None else 0

    @property
    def refused(self) -> dict[str, int]:
        """Connections refused or closed by the limits since start, by reason (tests, bench)."""
        return dict(self._gate.tally.totals) if self._gate is not None else {}

    def start(self) -> None:
        """Create the token if needed, bind and serve; returns once the port is open.

        Raises:
            ConfigInvalid: the token file holds something unusable.
            OSError: the address cannot be bound (e.g. the port is taken).
        """
        if self._closed:
            raise RuntimeError("WebServer is closed")
        if self._thread is not None:
            raise RuntimeError("WebServer already started")
        token = load_or_create_token(self._config.token_path)
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="web-io")
        self._thread = threading.Thread(target=self._run, args=(token,), name="web", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            self.close()
            raise OSError(f"the web server did not start within {START_TIMEOUT_S:g} s")
        if self._startup_error is not None:
            error = self._startup_error
            self.close()
            web_cfg = self._config.web
            raise OSError(f"cannot serve the staff page on {web_cfg.bind}:{web_cfg.port}: {error}") from error
        log.info("staff page at %s", self.url)

    def _run(self, token: str) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(token))
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

    async def _serve(self, token: str) -> None:
        loop = asyncio.get_running_loop()
        web_cfg = self._config.web
        loop.set_exception_handler(loop_exception_handler(log))
        for name in AIOHTTP_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        limits = Limits(max_total=connection_cap(web_cfg.max_connections),
                        max_per_address=web_cfg.max_connections_per_address, header_timeout_s=web_cfg.header_timeout_s)
        self._gate = ConnectionGate(limits, Tally(log, loop.call_later))
        self._hub = EventHub(loop, self._status, tick_s=self._tick_s, describe=describe)
        app = build_app(self._config, self._controller, Authenticator(token, FailureLimiter()), self._hub,
                        self._executor, self._status)
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
        self._unsubscribe = self._controller.subscribe(self._hub.publish)

    def _status(self) -> dict:
        return status_payload(self._config, self._status_source())

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()  # no new connections
        if self._hub is not None:
            self._hub.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def close(self) -> None:
        """Stop serving, end live streams, unsubscribe; safe to call twice or before start."""
        if self._closed:
            return
        self._closed = True
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive() and not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            try:
                future.result(SHUTDOWN_TIMEOUT_S + 2)
            except Exception:  # noqa: BLE001 - closing must go on
                log.exception("web server shutdown failed")
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(SHUTDOWN_TIMEOUT_S + 2)
        for name in AIOHTTP_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> WebServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
