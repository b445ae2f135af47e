"""Logging that an unauthenticated client cannot turn into a flood.

Each malformed request once logged a 703-byte traceback through aiohttp's own logger: one
client could write 5 GB an hour, and journald's rate limit then dropped the player's real
messages. Here every line about what a client did is one line, and the same kind of line
is written at most once per `WINDOW_S`, with a count of the ones left out:

- `Tally` counts refused connections and timeouts and writes one summary line per window;
- `OneLineFilter` goes on aiohttp's loggers: tracebacks become one line (kept under
  ``--debug``), client-controlled text is flattened, repeats are counted;
- `loop_exception_handler` does the same for the server loop's own errors (asyncio logs
  ``socket.accept() out of system resource`` with a traceback once a second otherwise).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable

WINDOW_S = 60.0
MAX_DETAIL_CHARS = 160
#: aiohttp's loggers that write about requests and connections.
AIOHTTP_LOGGERS = ("aiohttp.server", "aiohttp.access", "aiohttp.web", "aiohttp.internal", "aiohttp.websocket")

_KINDS = {"per_address": "refused (too many from one address)", "full": "refused (server full)",
          "header_timeout": "closed (no request head in time)", "evicted": "dropped to make room (no request head yet)",
          "body_timeout": "closed (request body too slow)", "bad_request": "malformed requests"}


def one_line(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """`text` as one short line: whitespace runs collapsed, control characters escaped."""
    flat = " ".join(text.split())
    flat = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Throttle:
    """At most one line per key per window; remembers how many were left out since."""

    def __init__(self, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._last: dict[object, float] = {}
        self._skipped: Counter = Counter()

    def allow(self, key: object) -> tuple[bool, int]:
        """(may this line be written now, how many like it were left out before it)."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.window_s:
            self._skipped[key] += 1
            return False, 0
        self._last[key] = now
        if len(self._last) > 1000:  # keys are message templates and kinds: few; bound them anyway
            self._last = {key: now}
        return True, self._skipped.pop(key, 0)


class Tally:
    """Counts connections refused or closed by the limits; logs the first, then one summary per window.

    Args:
        logger: where the lines go.
        schedule: ``loop.call_later``, to write the summary of a burst once its window ends.
    """

    def __init__(self, logger: logging.Logger, schedule: Callable[[float, Callable[[], None]], object] | None = None,
                 *, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._logger = logger
        self._schedule = schedule
        self.window_s = window_s
        self._clock = clock
        self._pending: Counter = Counter()
        self.totals: Counter = Counter()
        self._last: float | None = None
        self._flush_due = False

    def count(self, kind: str) -> None:
        self.totals[kind] += 1
        self._pending[kind] += 1
        now = self._clock()
        if self._last is None or now - self._last >= self.window_s:
            self.flush()
        elif not self._flush_due and self._schedule is not None:
            self._flush_due = True
            self._schedule(self._last + self.window_s - now, self.flush)

    def flush(self) -> None:
        self._flush_due = False
        if not self._pending:
            return
        since = "" if self._last is None else f" in the last {self.window_s:g} s"
        self._last = self._clock()
        parts = ", ".join(f"{n:,} {_KINDS.get(kind, kind)}" for kind, n in sorted(self._pending.items()))
        self._pending.clear()
        self._logger.warning("web connections %s%s", parts, since)


class OneLineFilter(logging.Filter):
    """For aiohttp's loggers: one line per record, the same line at most once per window."""

    def __init__(self, throttle: Throttle | None = None) -> None:
        super().__init__()
        self._throttle = throttle or Throttle()

    def filter(self, record: logging.LogRecord) -> bool:
        allowed, skipped = self._throttle.allow((record.name, str(record.msg)))
        if not allowed:
            return False
        text = one_line(record.getMessage())
        if record.exc_info and not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            exc = record.exc_info[1]
            text = f"{text}: {type(exc).__name__}: {one_line(str(exc))}" if exc is not None else text
            record.exc_info, record.exc_text = None, None
        if skipped:
            text += f" (and {skipped:,} more like it in the last {self._throttle.window_s:g} s)"
        record.msg, record.args = text, None
        return True


def loop_exception_handler(logger: logging.Logger, throttle: Throttle | None = None):
    """A `loop.set_exception_handler` handler writing one throttled line per kind of error."""
    throttle = throttle or Throttle()

    def handle(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        message = str(context.get("message") or "error in the web server's loop")
        exc = context.get("exception")
        allowed, skipped = throttle.allow((message, type(exc)))
        if not allowed:
            return
        detail = f": {type(exc).__name__}: {one_line(str(exc))}" if exc is not None else ""
        more = f" (and {skipped:,} more like it in the last {throttle.window_s:g} s)" if skipped else ""
        logger.error("%s%s%s", one_line(message), detail, more)

    return handle
