"""Injectable clocks: monotonic time drives the session, wall time is only for records.

A Raspberry Pi has no RTC, so wall time can jump when NTP syncs (or fake-hwclock restores
the time of the last shutdown); nothing that decides when a phase ends may read it.
`boottime` (CLOCK_BOOTTIME: it never steps, and counts a suspend) with the kernel's
`boot_id` measures a restart's downtime within one boot. `FakeClock` lets a 4-hour
session run in a test in milliseconds with exact arithmetic, and steps its wall clock
or "reboots" on request.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""

    def wall(self) -> datetime:
        """Current wall time, timezone-aware (for display and records only)."""

    def boottime(self) -> float:
        """Seconds since boot, counting a suspend; never steps (downtime of a restart within a boot)."""

    def boot_id(self) -> str:
        """An id of this boot of the machine (the kernel's); another after a reboot."""


_BOOT_ID = "/proc/sys/kernel/random/boot_id"


class SystemClock:
    """The real clocks."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now().astimezone()

    def boottime(self) -> float:
        return time.clock_gettime(time.CLOCK_BOOTTIME)

    def boot_id(self) -> str:
        try:
            with open(_BOOT_ID, encoding="ascii") as f:
                return f.read().strip()
        except OSError:
            return ""

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
        self._boot_id = str(uuid.UUID(int=1))

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def wall(self) -> datetime:
        with self._lock:
            return self._wall_origin + timedelta(seconds=self._now - self._origin)

    def boottime(self) -> float:
        return self.monotonic()

    def boot_id(self) -> str:
        with self._lock:
            return self._boot_id

    def step_wall(self, seconds: float) -> None:
        """The wall clock jumps (NTP, fake-hwclock); monotonic time and boottime do not."""
        with self._lock:
            self._wall_origin += timedelta(seconds=seconds)

    def reboot(self, down_s: float) -> None:
        """The machine was off `down_s`: a new boot id; monotonic time restarts near 0, wall time moves on."""
        with self._lock:
            self._wall_origin += timedelta(seconds=self._now - self._origin + down_s)
            self._now = self._origin = 1.0
            self._boot_id = str(uuid.uuid4())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go backwards")
        with self._lock:
            self._now += seconds

    def __repr__(self) -> str:
        return f"<FakeClock at {self.monotonic():.3f}>"
