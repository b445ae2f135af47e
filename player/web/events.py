"""The chair's live feed: the session's records and status snapshots to its staff pages (SSE).

The controller calls `EventHub.publish()` on the engine thread. That call must never wait
for a browser: it only hands the record to the server's event loop
(`call_soon_threadsafe`, which neither blocks nor does I/O). On the loop, the shared
`SseHub` (player/http/sse.py) queues it for each page and drops a page that falls behind.

Each page receives, in order: a ``hello`` with the recent event backlog, then every
``event`` followed by a ``status`` snapshot, and a ``status`` every `tick_s` when nothing
happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

from player.http.sse import Message, SseHub

BACKLOG_MAX = 50


class EventHub(SseHub):
    """`publish` is the only method for other threads.

    Args:
        loop: the server's event loop.
        status: returns the current status snapshot (called on the loop; must not block long).
        describe: adds a ``description`` (one line for people) to each record.
        tick_s: interval of unsolicited status snapshots while clients are connected.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, status: Callable[[], dict], *, tick_s: float = 1.0,
                 describe: Callable[[dict], str] | None = None) -> None:
        super().__init__(loop, self._greeting, lambda: ("status", status()), tick_s=tick_s, pages="staff page")
        self._status = status
        self._describe = describe
        self.backlog: deque[dict] = deque(maxlen=BACKLOG_MAX)

    def publish(self, record: dict) -> None:
        """Controller listener (any thread): hand `record` to the loop and return at once."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is shutting down
            self._loop.call_soon_threadsafe(self._on_record, record)

    def _greeting(self) -> list[Message]:
        return [("hello", {"backlog": list(self.backlog)}), ("status", self._status())]

    def _on_record(self, record: dict) -> None:
        if self._describe is not None:
            record = {**record, "description": self._describe(record)}
        self.backlog.append(record)
        if self.client_count:
            self.broadcast(("event", record), ("status", self._status()))
