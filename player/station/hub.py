"""Live updates for the station's pages (SSE), on the station's event loop.

Each page gets, in order: ``hello`` (every tile, the broker link, the title), then a
``chair`` (one tile) whenever a chair changes, and ``chairs`` (every tile, re-sorted, with
fresh "last seen" ages) every `tick_s`, which is also the heartbeat. Per-page bounded
queues and dropping a page that falls behind are `SseClient`'s (player/web/events.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from player.web.events import CLIENT_QUEUE_MAX, SseClient

log = logging.getLogger(__name__)


class StationHub:
    """`connect`/`disconnect` as `EventHub`'s (so the chair page's SSE handler serves it too).

    Args:
        loop: the station's event loop.
        tiles: every tile now (`Board.views`), with the station's header fields.
        tick_s: interval of the full refresh.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, tiles: Callable[[], dict], *, tick_s: float = 5.0) -> None:
        self._loop = loop
        self._tiles = tiles
        self.tick_s = tick_s
        self._clients: set[SseClient] = set()
        self._ticker: asyncio.Task | None = None
        self._closed = False
        self.sent = 0

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def connect(self) -> SseClient:
        # A full page is ~1.5 KB per chair: the queue's bound is on messages, the tick is the only big one.
        client = SseClient(maxsize=CLIENT_QUEUE_MAX * 4)
        client.offer(("hello", self._tiles()))
        self._clients.add(client)
        if self._ticker is None and not self._closed:
            self._ticker = self._loop.create_task(self._tick())
        return client

    def disconnect(self, client: SseClient) -> None:
        self._clients.discard(client)

    def publish(self, kind: str, payload: dict) -> None:
        """Offer one update to every page (on the loop)."""
        for client in list(self._clients):
            client.offer((kind, payload))
            self.sent += 1
            if client.dropped:
                log.info("dropped a station page that fell behind")
                self._clients.discard(client)

    async def _tick(self) -> None:
        try:
            while self._clients:
                await asyncio.sleep(self.tick_s)
                if self._clients:
                    self.publish("chairs", self._tiles())
        finally:
            if self._ticker is asyncio.current_task():
                self._ticker = None

    def close(self) -> None:
        self._closed = True
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for client in list(self._clients):
            client.dropped = False
            client.offer(None)
        self._clients.clear()
