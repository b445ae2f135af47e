"""The master level: one story from session start to end, and staff's steps within the cap.

* `begin(target_db)`: a session starts, or resumes after a restart. The level is set at
  once to ``min(volume.start_db, target)`` (the mix is silent then: the start fade brings
  it in), and a rise to the target is armed. Whatever the last session ended at, every
  session starts here.
* `rise(now)`: the start fade has ended; the level moves to the target dB-linearly over
  ``volume.rise_s`` (e.g. -20 -> -12 dB over 60 s: 0.13 dB/s). Never a step, never hidden
  in a crossfade.
* `set` / `step`: staff. A step during the start fade or the rise is taken from what is
  heard now (not from a target not yet reached); steps in a row (a held button) add up.
  Each ramps over 300 ms, is clamped to [volume.floor_db, cap], and cancels a rise.

Pure: times are passed in.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from player.core.gain import Ramp

if TYPE_CHECKING:   # settings come in as values; the core never reads the config
    from player.config import VolumeConfig

STAFF_RAMP_S = 0.3


class MasterLevel:
    def __init__(self, volume: VolumeConfig, cap_db: float) -> None:
        self._volume = volume
        self._cap = cap_db
        self.target_db = self._clamp(volume.default_db)
        self._ramp = Ramp(self.target_db, self.target_db, 0.0, 0.0, -math.inf)
        self.rise_pending = False
        self._by_staff = False     # the level was last set by staff (steps then add to it)

    def __repr__(self) -> str:
        return f"<MasterLevel target {self.target_db:.1f} dB{' rise pending' if self.rise_pending else ''}>"

    def _clamp(self, level_db: float) -> float:
        return max(self._volume.floor_db, min(float(level_db), self._cap))

    def value(self, now: float) -> float:
        level = self._ramp.value(now)
        return self.target_db if level is None else level

    def done(self, now: float) -> bool:
        return self._ramp.done(now)

    @property
    def ramp(self) -> Ramp:
        return self._ramp

    def _move(self, now: float, level_db: float, duration_s: float) -> None:
        self._ramp = Ramp(self.value(now), level_db, now, max(0.0, duration_s), -math.inf)

    def begin(self, now: float, target_db: float | None = None) -> None:
        """A session (re)starts: start low, and rise to `target_db` (default_db) after the start fade."""
        self.target_db = self._clamp(self._volume.default_db if target_db is None else target_db)
        start = min(self._clamp(self._volume.start_db), self.target_db)
        self._ramp = Ramp(start, start, now, 0.0, -math.inf)
        self.rise_pending, self._by_staff = start < self.target_db, False

    def rise(self, now: float) -> None:
        """The start fade ended: move slowly to the target (once)."""
        if self.rise_pending:
            self.rise_pending, self._by_staff = False, False
            self._move(now, self.target_db, self._volume.rise_s)

    def set(self, now: float, level_db: float) -> float:
        """Staff set a level: ramp to it (clamped) over 300 ms; returns the level."""
        if not math.isfinite(level_db):
            return self.target_db
        self.rise_pending, self._by_staff = False, True
        self.target_db = self._clamp(level_db)
        self._move(now, self.target_db, STAFF_RAMP_S)
        return self.target_db

    def step(self, now: float, delta_db: float) -> float:
        """Staff step (from what is heard, or from staff's last level); returns the new level."""
        if not math.isfinite(delta_db):
            return self.target_db
        return self.set(now, (self.target_db if self._by_staff else self.value(now)) + delta_db)
