"""Server-Sent Events for our pages: one hub per server, on the server's event loop.

A page that connects gets its `hello` messages (everything it needs to draw itself), then
every message the server broadcasts, and a `tick` refresh every `tick_s` while anyone
listens (which doubles as the heartbeat that keeps proxies and the browser's connection
alive and lets the page notice a dead server). Each page has its own bounded queue; a page
too slow to drain it is dropped (it reconnects and starts again from a fresh hello) instead
of growing memory or holding anyone up. The chair's page (player/web/events.py) and the
nursing station (player/station/server.py) each run one `SseHub`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

CLIENT_QUEUE_MAX = 64

Message = tuple[str, dict]  # (event name, JSON payload)


class SseClient:
    """One connected browser: a bounded queue of (kind, payload) the hub fills."""

    def __init__(self, maxsize: int = CLIENT_QUEUE_MAX) -> None:
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue(maxsize)
        self.dropped = False

    def offer(self, item: Message | None) -> None:
        """Queue `item`; when the queue is full, mark the client dropped and wake it to end."""
        if self.dropped:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


class SseHub:
    """Lives on the server's event loop; every method is called there.

    Args:
        loop: the server's event loop.
        hello: the messages a page gets first (called on the loop when it connects).
        tick: the refresh sent to every page each `tick_s` while any listens.
        queue_max: messages a page may fall behind before it is dropped.
        pages: what a page is, for the log line when one is dropped ("staff page").
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, hello: Callable[[], list[Message]],
                 tick: Callable[[], Message], *, tick_s: float, queue_max: int = CLIENT_QUEUE_MAX,
                 pages: str = "page") -> None:
        self._loop = loop
        self._hello = hello
        self._refresh = tick
        self.tick_s = tick_s
        self._queue_max = queue_max
        self._pages = pages
        self._clients: set[SseClient] = set()
        self._ticker: asyncio.Task | None = None
        self._closed = False

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def connect(self) -> SseClient:
        client = SseClient(self._queue_max)
        for message in self._hello():
            client.offer(message)
        self._clients.add(client)
        if self._ticker is None and not self._closed:
            self._ticker = self._loop.create_task(self._tick())
        return client

    def disconnect(self, client: SseClient) -> None:
        self._clients.discard(client)

    def broadcast(self, *messages: Message) -> None:
        """Offer `messages`, in order, to every page; drop a page that fell `queue_max` behind."""
        for client in list(self._clients):
            for message in messages:
                client.offer(message)
            if client.dropped:
                log.info("dropped a %s that fell %d messages behind", self._pages, self._queue_max)
                self._clients.discard(client)

    def close(self) -> None:
        """End every page's stream (they see the end and reconnect elsewhere/later)."""
        self._closed = True
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for client in list(self._clients):
            client.dropped = False
            client.offer(None)
        self._clients.clear()

    async def _tick(self) -> None:
        """A refresh every `tick_s` while anyone listens; stops itself when the last one leaves."""
        try:
            while self._clients:
                await asyncio.sleep(self.tick_s)
                if not self._clients:
                    break
                self.broadcast(self._refresh())
        finally:
            if self._ticker is asyncio.current_task():
                self._ticker = None
