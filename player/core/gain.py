"""Pure gain math: every level in the player is a dB value until the last line here.

VLC's software volume is cubic (gain_dB = 60·log10(vol/100)), so a fade that steps the
percent linearly lurches at the bottom and crawls at the top. Everything upstream works in
dB; `db_to_vlc_percent` is the ONE place dB becomes VLC's percent. No I/O, no clock reads:
callers pass times in, which is what lets these functions be tested exhaustively.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

UNITY_PERCENT = 100
VLC_MAX_PERCENT = 200                                    # above 100 % libVLC amplifies, up to here (measured)
VLC_MAX_DB = 60.0 * math.log10(VLC_MAX_PERCENT / UNITY_PERCENT)   # +18.06 dB


def db_to_vlc_percent(gain_db: float | None, ceiling_db: float = 0.0) -> int:
    """VLC volume percent for a digital gain in dB (None or -inf: 0 = muted).

    The gain is clamped to `ceiling_db` (and to VLC's range: above 100 % VLC amplifies, up
    to `VLC_MAX_PERCENT`) before conversion, and the percent is rounded *down*, so rounding
    can never lift the level above the ceiling. What the ceiling is: the level model's
    (player/core/level_model.py); 0 dB keeps VLC at or under 100 %.
    """
    if gain_db is None or math.isnan(gain_db) or gain_db == -math.inf:
        return 0
    capped = min(gain_db, ceiling_db, VLC_MAX_DB)
    return max(0, min(VLC_MAX_PERCENT, math.floor(UNITY_PERCENT * 10 ** (capped / 60.0) + 1e-9)))


def vlc_percent_to_db(percent: int) -> float | None:
    """Inverse of `db_to_vlc_percent` (None for 0 = muted)."""
    if percent <= 0:
        return None
    return 60.0 * math.log10(percent / UNITY_PERCENT)


def amplitude_to_db(amplitude: float) -> float:
    """Linear amplitude factor to dB (-inf for 0)."""
    return 20.0 * math.log10(amplitude) if amplitude > 0 else -math.inf


def effective_db(normalization_db: float, trim_db: float, fader_db: float | None, master_db: float,
                 cap_db: float) -> float | None:
    """Total gain of a deck: normalization + trim + fader + master, never above `cap_db`.

    `fader_db` None means the deck is muted (a fade reached its floor); the result is then None.
    """
    if fader_db is None:
        return None
    total = normalization_db + trim_db + fader_db + master_db
    if math.isnan(total):
        return None
    return min(total, cap_db)


def equal_power(progress: float) -> tuple[float, float]:
    """(outgoing, incoming) amplitude factors at crossfade `progress` in [0, 1].

    cos/sin keep out² + in² = 1, so two uncorrelated tracks of equal loudness sum to a
    constant power: no dip in the middle as with a linear crossfade (about -3 dB).
    """
    p = min(1.0, max(0.0, progress))
    return math.cos(p * math.pi / 2), math.sin(p * math.pi / 2)


class _Timed:
    """Progress of a fader change that runs `duration_s` seconds from `t0` (both fader kinds share it)."""

    t0: float
    duration_s: float

    def progress(self, now: float) -> float:
        if self.duration_s <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self.t0) / self.duration_s))

    def done(self, now: float) -> bool:
        return self.progress(now) >= 1.0


@dataclass(frozen=True)
class Ramp(_Timed):
    """A dB-linear ramp of a fader from `start_db` to `end_db` over `duration_s` from `t0`.

    Either end may be None (silence): it is then replaced by `floor_db`, and any value at or
    below the floor reads as None (muted). So a fade from silence begins at the floor (audible
    but faint, where VLC's integer percent still steps finely) and a fade to silence mutes only
    once it is already at the floor.
    """

    start_db: float | None
    end_db: float | None
    t0: float
    duration_s: float
    floor_db: float

    def value(self, now: float) -> float | None:
        """Fader level at `now` (None = muted)."""
        lo = self.floor_db
        a = lo if self.start_db is None else max(self.start_db, lo)
        b = lo if self.end_db is None else max(self.end_db, lo)
        progress = self.progress(now)
        if progress >= 1.0 and self.end_db is None:
            return None
        level = a + (b - a) * progress
        return None if level <= lo and (self.start_db is None or self.end_db is None) else level



@dataclass(frozen=True)
class CrossfadeRamp(_Timed):
    """Equal-power fader of one deck in a crossfade (`incoming` or outgoing), in dB.

    An outgoing deck that was itself still coming in (a crossfade interrupted by another)
    starts from its level then, `from_db`, and never jumps up to full. Values at or below
    `floor_db` mute the deck: the incoming deck stays silent for the first instants and the
    outgoing one is cut only when already inaudible.
    """

    incoming: bool
    t0: float
    duration_s: float
    floor_db: float
    from_db: float = 0.0

    def value(self, now: float) -> float | None:
        out_amp, in_amp = equal_power(self.progress(now))
        level = amplitude_to_db(in_amp) if self.incoming else amplitude_to_db(out_amp) + min(0.0, self.from_db)
        return None if level <= self.floor_db else level


@dataclass(frozen=True)
class Glide:
    """A level moving toward `target_db` at no more than `rate_db_per_s`.

    Used for a normalization gain that changes while the deck is heard (a loudness
    measurement that completes mid-track): the listener hears a slow drift, never a step.
    """

    start_db: float
    target_db: float
    t0: float
    rate_db_per_s: float

    def value(self, now: float) -> float:
        distance = self.target_db - self.start_db
        travelled = self.rate_db_per_s * max(0.0, now - self.t0)
        if abs(distance) <= travelled:
            return self.target_db
        return self.start_db + math.copysign(travelled, distance)

    def done(self, now: float) -> bool:
        return self.value(now) == self.target_db

    def toward(self, now: float, target_db: float) -> Glide:
        """The same glide, continuing from where it is now toward a new target."""
        return Glide(self.value(now), target_db, now, self.rate_db_per_s)

    @classmethod
    def at(cls, level_db: float, rate_db_per_s: float) -> Glide:
        """A glide resting at `level_db`."""
        return cls(level_db, level_db, 0.0, rate_db_per_s)
