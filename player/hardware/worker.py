"""One worker thread fed by timestamped events from gpiozero's pin threads.

gpiozero calls edge callbacks on its pin thread; they must never block, or a busy engine would
stall GPIO handling and lose edges. So a callback only stamps the event with the monotonic time
it was seen and puts it on a `SimpleQueue` (never blocks); the worker takes everything queued
in one batch, hands it to its handler, and otherwise sleeps until the handler's next deadline
(a gesture or repeat timer), so timers fire without a polling loop.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from player.clock import Clock

log = logging.getLogger(__name__)

_STOP = ("stop",)


class EdgeWorker:
    """Calls ``handle(batch)`` on its own thread for every batch of posted ``(kind, *args, at)``.

    Args:
        name: the thread's name.
        clock: the monotonic clock that stamps events and measures the wait to `next_deadline`.
        handle: the batch handler; an exception is logged and the worker carries on.
        next_deadline: the monotonic time the handler must run again even with nothing posted.
    """

    def __init__(self, name: str, clock: Clock, handle: Callable[[list[tuple]], None],
                 next_deadline: Callable[[], float]) -> None:
        self._clock = clock
        self._handle = handle
        self._next_deadline = next_deadline
        self._inbox: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __repr__(self) -> str:
        return f"<EdgeWorker {self._thread.name} alive={self._thread.is_alive()}>"

    def post(self, kind: str, *args: object) -> None:
        """Any thread, never blocks: queue one event stamped with the time it was seen."""
        self._inbox.put((kind, *args, self._clock.monotonic()))

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the worker finish the batch in hand and end; wait up to `timeout` for it (no-op if never started)."""
        if self._thread.ident is None:
            return
        self._inbox.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                batch = [self._inbox.get(timeout=max(0.0, self._next_deadline() - self._clock.monotonic()))]
            except queue.Empty:
                batch = []
            while True:
                try:
                    batch.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:
                return
            try:
                self._handle(batch)
            except Exception:  # never let one bad answer stop the bedside controls
                log.exception("%s worker error (carrying on)", self._thread.name)
