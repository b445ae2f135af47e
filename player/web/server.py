"""`WebServer`: runs the staff page and HTTP API on its own thread and asyncio loop.

The daemon builds it with the config and the session's `Controller`, calls `start()` once
the engine runs and `close()` on the way down. The server only talks to the controller:
controls go through `submit()` (the same engine queue as the bedside button), the live
page is fed by `subscribe()`, whose listener only hands records to this loop. The thread,
loop, connection limits and quiet logs are `LoopServer`'s (player/http/loopserver.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from player.config import Config
from player.control.controller import Controller
from player.core.vocabulary import describe
from player.http.auth import Authenticator, FailureLimiter
from player.http.loopserver import LoopServer
from player.http.token import load_or_create_token
from player.web.api import build_app, status_payload
from player.web.events import EventHub
from player.web.music_prefs import add_music_preference_routes

log = logging.getLogger(__name__)


class WebServer(LoopServer):
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
        super().__init__(config.web, "the staff page", log)
        self._config = config
        self._controller = controller
        self._status_source = status or controller.status
        self._tick_s = tick_s
        self._hub: EventHub | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._unsubscribe = None
        self._token: str | None = None

    def __repr__(self) -> str:
        where = self.url if self.port is not None else "not started"
        return f"<WebServer {where}{' closed' if self._closed else ''}>"

    @property
    def live_clients(self) -> int:
        """How many live pages (SSE streams) are connected now (for tests, bench and logs)."""
        return self._hub.client_count if self._hub is not None else 0

    def start(self) -> None:
        """Create the token if needed, bind and serve; returns once the port is open.

        Raises:
            ConfigInvalid: the token file holds something unusable.
            OSError: the address cannot be bound (e.g. the port is taken).
        """
        if self._closed:
            raise RuntimeError("WebServer is closed")
        self._token = load_or_create_token(self._config.token_path)
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="web-io")
        self._serve_thread("web")

    async def _build_app(self) -> web.Application:
        self._hub = EventHub(asyncio.get_running_loop(), self._status, tick_s=self._tick_s, describe=describe)
        app = build_app(self._config, self._controller, Authenticator(self._token, FailureLimiter()), self._hub,
                        self._executor, self._status)
        add_music_preference_routes(app)
        return app

    async def _started(self) -> None:
        self._unsubscribe = self._controller.subscribe(self._hub.publish)

    def _status(self) -> dict:
        return status_payload(self._config, self._status_source())

    async def _stopping(self) -> None:
        if self._hub is not None:
            self._hub.close()

    def _closing(self) -> None:
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def _closed_all(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
