"""The chair's bounded outbox: events wait here, in order, until the broker has acknowledged them.

The engine's listener only appends (never blocks, never does I/O); the publisher thread
takes the oldest, publishes it and removes it once the broker's PUBACK came. While the
broker is away the outbox fills up to its bound and then drops its oldest (the durable
event log on the chair stays the record; the count of dropped events is kept and shown).
"""

from __future__ import annotations

import threading
from collections import deque


class Outbox:
    """Thread-safe FIFO of event records with a bound; `wait` wakes the publisher."""

    def __init__(self, maxlen: int) -> None:
        self._items: deque[dict] = deque()
        self._maxlen = maxlen
        self._cond = threading.Condition()
        self.dropped = 0
        self._poked = False
        self._numbered = 0

    def put(self, record: dict) -> None:
        """Append (engine thread) a copy numbered ``feed_seq`` (1, 2, ...); the oldest goes when full.

        Records outside a session have no session id and their ``seq`` starts again after
        each session: ``feed_seq`` is what tells them apart (with the publisher's ``boot``).
        """
        with self._cond:
            self._numbered += 1
            if len(self._items) >= self._maxlen:
                self._items.popleft()
                self.dropped += 1
            self._items.append({**record, "feed_seq": self._numbered})
            self._cond.notify_all()

    def poke(self) -> None:
        """Wake the publisher without an event (connected, closing)."""
        with self._cond:
            self._poked = True
            self._cond.notify_all()

    def wait(self, timeout_s: float) -> None:
        """Until there is an event or a poke, at most `timeout_s`."""
        with self._cond:
            self._cond.wait_for(lambda: self._items or self._poked, timeout_s)
            self._poked = False

    def peek(self) -> dict | None:
        with self._cond:
            return self._items[0] if self._items else None

    def done(self, record: dict) -> None:  # `record` as `peek` gave it
        """`record` was acknowledged: remove it, unless the bound already dropped it."""
        with self._cond:
            if self._items and self._items[0] is record:
                self._items.popleft()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
