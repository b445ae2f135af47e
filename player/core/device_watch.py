"""Watching the sound device: a cheap probe every few seconds, retries with backoff when gone.

Pure bookkeeping (times passed in): the mixer asks `due(now)`, probes the output, and
tells `probed(now, ok)`, which answers "lost", "restored" or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

POLL_S = 15.0   # each probe opens the device (through PulseAudio, ~2 ms of CPU): not too often
RETRY_FIRST_S = 1.0


@dataclass
class DeviceWatch:
    retry_max_s: float
    ok: bool = True
    next_check: float = 0.0
    backoff_s: float = RETRY_FIRST_S

    def due(self, now: float) -> bool:
        return now >= self.next_check

    def lost(self, now: float) -> bool:
        """The device went (an output event or a failed probe); False when already known."""
        if not self.ok:
            return False
        self.ok, self.backoff_s = False, RETRY_FIRST_S
        self.next_check = now + self.backoff_s
        return True

    def probed(self, now: float, present: bool) -> Literal["lost", "restored"] | None:
        """What a probe means: "lost" (the caller then calls `lost`), "restored", or nothing new."""
        if self.ok:
            self.next_check = now + POLL_S
            return None if present else "lost"
        if not present:
            self.backoff_s = min(self.backoff_s * 2, self.retry_max_s)
            self.next_check = now + self.backoff_s
            return None
        self.ok, self.next_check = True, now + POLL_S
        return "restored"
