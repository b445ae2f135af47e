"""`StationServer`: the nursing station's page and API, fed by the broker.

One paho network thread subscribes to ``PREFIX/+/#`` (QoS 1, a persistent session: the
broker keeps what arrives while the station is away) and hands every message to the
server's event loop, where the `Board` (board.py) and the live pages (an `SseHub`) live; the
HTTP side is the layer the chair's page shares (player/http/: `LoopServer`, the token and
login, the connection limits, the page head and common script). Routes: ``/`` (the page),
``/api/chairs``, ``/api/chairs/SLUG/events``, ``/api/events`` (SSE), ``/healthz``, ``/login``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

from aiohttp import web

from player.config import Config
from player.http.app import app_key, json_response, page_app
from player.http.auth import Authenticator, FailureLimiter
from player.http.loopserver import LoopServer
from player.http.sse import CLIENT_QUEUE_MAX, SseHub
from player.http.token import load_or_create_token
from player.mqtt.client import MqttLink
from player.mqtt.topics import room_slug
from player.station.board import Board

log = logging.getLogger(__name__)

BOARD_KEY = app_key("station_board", Board)
SERVER_KEY = app_key("station_server", object)
SILENCE_CHECK_S = 0.25


def station_client_id(config: Config) -> str:
    """Stable across restarts (the broker keeps the station's session under it): host and prefix."""
    return f"session-player-station-{room_slug(socket.gethostname())}-{room_slug(config.mqtt.topic_prefix)}"


async def api_chairs(request: web.Request) -> web.Response:
    station: StationServer = request.app[SERVER_KEY]
    return json_response(station.tiles()["chairs"])


async def api_chair_events(request: web.Request) -> web.Response:
    board: Board = request.app[BOARD_KEY]
    chair = board.chairs.get(request.match_info["slug"])
    if chair is None:
        return json_response({"error": f"no chair {request.match_info['slug']!r} seen"}, status=404)
    return json_response({"room": chair.room, "events": list(chair.events), "repeats_dropped": chair.repeats})


class StationServer(LoopServer):
    """Constructing does no I/O; `start()` serves and connects; `close()` is idempotent.

    Args:
        config: ``web`` (bind, port, token, limits), ``mqtt`` (broker, prefix), ``station``.
        tick_s: the pages' full refresh interval.
        client_id: the broker client id (default `station_client_id`).
    """

    def __init__(self, config: Config, *, tick_s: float = 5.0, client_id: str | None = None) -> None:
        super().__init__(config.web, "the nursing station", log)
        self._config = config
        self._tick_s = tick_s
        self._client_id = client_id or station_client_id(config)
        self.board = Board(config.mqtt.topic_prefix, dict(config.station.chair_urls))
        self._hub: SseHub | None = None
        self._link: MqttLink | None = None
        self._token: str | None = None
        self.broker_connected = False
        self.received = 0
        self._watcher: asyncio.Task | None = None

    def __repr__(self) -> str:
        return f"<StationServer {self.url if self.port else 'not started'} {len(self.board.chairs)} chairs>"

    @property
    def live_clients(self) -> int:
        return self._hub.client_count if self._hub is not None else 0

    def start(self) -> None:
        """Serve the page, then connect to the broker (retrying in the background).

        Raises:
            ConfigInvalid: the token file is unusable, paho-mqtt is missing, the password file unreadable.
            OSError: the address cannot be bound.
        """
        self._token = load_or_create_token(self._config.token_path)
        self._link = MqttLink(self._config.mqtt, self._client_id, clean_session=False)
        self._serve_thread("station")
        link = self._link
        link.on_connect = lambda: (link.subscribe(f"{self._config.mqtt.topic_prefix}/+/#"),
                                   self._to_loop(self._broker, True))
        link.on_disconnect = lambda: self._to_loop(self._broker, False)
        link.on_message = lambda topic, payload, retained: self._to_loop(self._receive, topic, payload, retained)
        link.start()

    def tiles(self) -> dict:
        """Every tile and the page's header (on the loop)."""
        return {"title": self._config.station.title, "broker": self.broker_connected,
                "chairs": self.board.views(time.monotonic())}

    # --- paho's thread -> the loop -----------------------------------------------------

    def _to_loop(self, fn, *args: object) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # closing
                loop.call_soon_threadsafe(fn, *args)

    # --- the loop ------------------------------------------------------------------------

    def _receive(self, topic: str, payload: bytes, retained: bool) -> None:
        self.received += 1
        now = time.monotonic()
        chair = self.board.receive(topic, payload, now, retained)
        if chair is not None and self._hub is not None:
            self._hub.broadcast(("chair", self.board.view(chair, now)))

    def _broker(self, connected: bool) -> None:
        self.broker_connected = connected
        if connected:
            self.board.grace(time.monotonic())
        if self._hub is not None:
            self._hub.broadcast(("broker", {"broker": connected}))

    async def _watch_silence(self) -> None:
        """Every `SILENCE_CHECK_S`: a chair silent too long is shown offline (before the broker's will)."""
        while True:
            await asyncio.sleep(SILENCE_CHECK_S)
            if not self.broker_connected:
                continue
            now = time.monotonic()
            for chair in self.board.expire(now):
                log.warning("chair %s silent for %.0f s: shown offline", chair.room, now - chair.last_seen)
                if self._hub is not None:
                    self._hub.broadcast(("chair", self.board.view(chair, now)))

    async def _started(self) -> None:
        self._watcher = asyncio.get_running_loop().create_task(self._watch_silence())

    async def _build_app(self) -> web.Application:
        # A full page is ~1.5 KB per chair: the queue's bound is on messages, the tick is the only big one.
        self._hub = SseHub(asyncio.get_running_loop(), lambda: [("hello", self.tiles())],
                           lambda: ("chairs", self.tiles()), tick_s=self._tick_s, queue_max=CLIENT_QUEUE_MAX * 4,
                           pages="station page")
        app = page_app(self._config, Authenticator(self._token, FailureLimiter()), self._hub, "player.station")
        app[BOARD_KEY] = self.board
        app[SERVER_KEY] = self
        app.router.add_get("/api/chairs", api_chairs)
        app.router.add_get("/api/chairs/{slug}/events", api_chair_events)
        return app

    async def _stopping(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        if self._hub is not None:
            self._hub.close()

    def _closing(self) -> None:
        if self._link is not None:
            self._link.close()
