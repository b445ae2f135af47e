"""Injectable clocks: monotonic time drives the session, wall time is only for records.

A Raspberry Pi has no RTC, so wall time can jump when NTP syncs; nothing that decides
when a phase ends may read it. `FakeClock` lets a 4-hour session run in a test in
milliseconds with exact arithmetic.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""

    def wall(self) -> datetime:
        """Current wall time, timezone-aware (for display and records only)."""


class SystemClock:
    """The real clocks."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now().astimezone()

    def __repr__(self) -> str:
        return "<SystemClock>"


class FakeClock:
    """A clock that moves only when told to; thread-safe.

    Args:
        start: initial monotonic reading.
        wall_start: wall time at that reading (default 2026-01-01T09:00:00+01:00).
    """

    def __init__(self, start: float = 1000.0, wall_start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = float(start)
        self._origin = float(start)
        self._wall_origin = wall_start or datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def wall(self) -> datetime:
        with self._lock:
            return self._wall_origin + timedelta(seconds=self._now - self._origin)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go backwards")
        with self._lock:
            self._now += seconds

    def __repr__(self) -> str:
        return f"<FakeClock at {self.monotonic():.3f}>"
