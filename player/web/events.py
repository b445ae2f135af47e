"""Fan-out of the session's live events to Server-Sent-Events clients.

The controller calls `EventHub.publish()` on the engine thread. That call must never wait
for a browser: it only hands the record to the server's event loop
(`call_soon_threadsafe`, which neither blocks nor does I/O). On the loop, each client has
its own bounded queue; a client too slow to drain it is dropped (its page reconnects and
starts again from a fresh snapshot) instead of growing memory or holding anyone up.

Each client receives, in order: a ``hello`` with the recent event backlog, then every
``event`` followed by a ``status`` snapshot, and a ``status`` every `tick_s` when nothing
happens (which doubles as the heartbeat that keeps proxies and the browser's connection
alive and lets the page notice a dead server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

CLIENT_QUEUE_MAX = 64
BACKLOG_MAX = 50


class SseClient:
    """One connected browser: a bounded queue of (kind, payload) the hub fills."""

    def __init__(self, maxsize: int = CLIENT_QUEUE_MAX) -> None:
        self.queue: asyncio.Queue[tuple[str, dict] | None] = asyncio.Queue(maxsize)
        self.dropped = False

    def offer(self, item: tuple[str, dict] | None) -> None:
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


class EventHub:
    """Lives on the server's event loop; `publish` is the only method for other threads.

    Args:
        loop: the server's event loop.
        status: returns the current status snapshot (called on the loop; must not block long).
        describe: adds a ``description`` (one line for people) to each record.
        tick_s: interval of unsolicited status snapshots while clients are connected.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, status: Callable[[], dict], *, tick_s: float = 1.0,
                 describe: Callable[[dict], str] | None = None) -> None:
        self._loop = loop
        self._status = status
        self._describe = describe
        self.tick_s = tick_s
        self._clients: set[SseClient] = set()
        self.backlog: deque[dict] = deque(maxlen=BACKLOG_MAX)
        self._ticker: asyncio.Task | None = None
        self._closed = False

    # --- any thread --------------------------------------------------------------------

    def publish(self, record: dict) -> None:
        """Controller listener: hand `record` to the loop and return at once."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is shutting down
            self._loop.call_soon_threadsafe(self._on_record, record)

    # --- loop thread -------------------------------------------------------------------

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def connect(self) -> SseClient:
        client = SseClient()
        client.offer(("hello", {"backlog": list(self.backlog)}))
        client.offer(("status", self._status()))
        self._clients.add(client)
        if self._ticker is None and not self._closed:
            self._ticker = self._loop.create_task(self._tick())
        return client

    def disconnect(self, client: SseClient) -> None:
        self._clients.discard(client)

    def close(self) -> None:
        """End every client's stream (they see the end and reconnect elsewhere/later)."""
        self._closed = True
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for client in list(self._clients):
            client.dropped = False
            client.offer(None)
        self._clients.clear()

    def _on_record(self, record: dict) -> None:
        if self._describe is not None:
            record = {**record, "description": self._describe(record)}
        self.backlog.append(record)
        if not self._clients:
            return
        snapshot = self._status()
        for client in list(self._clients):
            client.offer(("event", record))
            client.offer(("status", snapshot))
            if client.dropped:
                log.info("dropped a staff page that fell %d messages behind", CLIENT_QUEUE_MAX)
                self._clients.discard(client)

    async def _tick(self) -> None:
        """Status every `tick_s` while anyone listens; stops itself when the last one leaves."""
        try:
            while self._clients:
                await asyncio.sleep(self.tick_s)
                if not self._clients:
                    break
                snapshot = self._status()
                for client in list(self._clients):
                    client.offer(("status", snapshot))
                    if client.dropped:
                        self._clients.discard(client)
        finally:
            if self._ticker is asyncio.current_task():
                self._ticker = None
