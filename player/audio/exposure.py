"""Sound exposure at the ear, from the player's levels in dB and the chair's calibration (pure).

The player knows levels in dB relative to full scale (VLC 100%); what reaches the ear
depends on the DAC and the headphones. `session-player calibrate` plays pink noise at the
loudness target through that chain and the technician reads an SPL meter:
``volume.calibration_dba_at_0db`` is what programme at the target loudness gives, in dBA,
at 0 dB. Since every track is normalized to that target (or lower), a level L dB then means
about L + calibration dBA (player/core/cap.py converts, and computes the cap in force).

The reference figures (see docs/audio.md, "Calibrated level and exposure"):

- 85 dBA for 8 hours, 3 dB exchange rate: NIOSH's recommended exposure limit (1998); the EU
  workplace directive 2003/10/EC has its lower and upper action values at 80 and 85 dB(A)
  over 8 hours. `daily_dose` is the share of that allowance.
- 80 dBA for 40 hours a week: WHO/ITU H.870 (2022) safe listening for adults.
  `weekly_share` is the share of that allowance.

With a 3 dB exchange rate, each 3 dB more halves the time allowed (NIOSH's formula,
T = 8 h / 2^((L - 85) / 3)).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

DAILY_CRITERION_DBA = 85.0
DAILY_CRITERION_S = 8 * 3600.0
WEEKLY_CRITERION_DBA = 80.0
WEEKLY_CRITERION_S = 40 * 3600.0
EXCHANGE_RATE_DB = 3.0

Segment = tuple[float, float | None]  # (duration in seconds, level in dBA; None = silence)


def calibration_from_reading(reading_dba: float, level_db: float) -> float:
    """``volume.calibration_dba_at_0db`` from a meter reading taken while the noise played at `level_db`."""
    return reading_dba - level_db


def _check(segments: Iterable[Segment]) -> list[Segment]:
    checked = []
    for duration_s, level in segments:
        if not math.isfinite(duration_s) or duration_s < 0:
            raise ValueError(f"a segment's duration must be a finite number of seconds >= 0, got {duration_s!r}")
        if level == -math.inf:
            level = None  # -inf dB is silence
        elif level is not None and not math.isfinite(level):
            raise ValueError(f"a segment's level must be finite dBA or None (silence), got {level!r}")
        checked.append((duration_s, level))
    return checked


def laeq(segments: Iterable[Segment]) -> float:
    """The equivalent continuous level (dBA) over the segments; silence counts as time without sound.

    Returns -inf when there was no sound at all.

    Raises:
        ValueError: no time at all, or a negative or non-finite duration or level.
    """
    segs = _check(segments)
    total = sum(d for d, _ in segs)
    if total <= 0:
        raise ValueError("LAeq needs some time: the segments last 0 s")
    energy = sum(d * 10 ** (level / 10) for d, level in segs if level is not None)
    return 10 * math.log10(energy / total) if energy > 0 else -math.inf


def allowed_s(level_dba: float, criterion_dba: float = DAILY_CRITERION_DBA,
              criterion_s: float = DAILY_CRITERION_S) -> float:
    """How long `level_dba` may last for one allowance (8 h at 85 dBA; half as long per 3 dB more)."""
    return criterion_s / 2 ** ((level_dba - criterion_dba) / EXCHANGE_RATE_DB)


def _share(segments: Iterable[Segment], criterion_dba: float, criterion_s: float) -> float:
    return sum(d / allowed_s(level, criterion_dba, criterion_s) for d, level in _check(segments) if level is not None)


def daily_dose(segments: Iterable[Segment]) -> float:
    """Share of the daily allowance of 85 dBA for 8 h, 3 dB exchange rate (1.0 = the whole day's)."""
    return _share(segments, DAILY_CRITERION_DBA, DAILY_CRITERION_S)


def weekly_share(segments: Iterable[Segment]) -> float:
    """Share of WHO H.870's adult weekly allowance of 80 dBA for 40 h (1.0 = the whole week's)."""
    return _share(segments, WEEKLY_CRITERION_DBA, WEEKLY_CRITERION_S)


class ExposureMeter:
    """The level heard over a session, integrated as it goes (pure: durations and levels are passed in).

    Levels are the player's, in dB relative to the loudness target at 0 dB (what
    ``volume.calibration_dba_at_0db`` turns into dBA); None is silence. It keeps two
    integrals only, so a session of any length costs the same: energy (for LAeq) and the
    dose integrand (for the 3 dB exchange rate).
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._energy = 0.0     # integral of 10^(L/10) dt
        self._dose = 0.0       # integral of 2^(L/3) dt

    def add(self, duration_s: float, level_db: float | None) -> None:
        if duration_s <= 0 or not math.isfinite(duration_s):
            return
        self.seconds += duration_s
        if level_db is not None and math.isfinite(level_db):
            self._energy += duration_s * 10 ** (level_db / 10)
            self._dose += duration_s * 2 ** (level_db / EXCHANGE_RATE_DB)

    def summary(self, calibration_dba_at_0db: float | None) -> dict:
        """``seconds``, ``leq_db`` (digital), and, calibrated, ``laeq_dba``, ``daily_dose``, ``weekly_share``."""
        leq = 10 * math.log10(self._energy / self.seconds) if self._energy > 0 and self.seconds > 0 else None
        out: dict = {"seconds": round(self.seconds, 1), "leq_db": None if leq is None else round(leq, 2),
                     "laeq_dba": None, "daily_dose": None, "weekly_share": None}
        if calibration_dba_at_0db is not None and leq is not None:
            c = calibration_dba_at_0db
            out["laeq_dba"] = round(leq + c, 1)
            out["daily_dose"] = round(self._dose * 2 ** ((c - DAILY_CRITERION_DBA) / EXCHANGE_RATE_DB)
                                      / DAILY_CRITERION_S, 6)
            out["weekly_share"] = round(self._dose * 2 ** ((c - WEEKLY_CRITERION_DBA) / EXCHANGE_RATE_DB)
                                        / WEEKLY_CRITERION_S, 6)
        return out

    def integrals(self) -> dict:
        """What `restore` takes back (a restart continues the session's figures)."""
        return {"seconds": self.seconds, "energy": self._energy, "dose": self._dose}

    def restore(self, integrals: dict) -> None:
        try:
            seconds, energy, dose = (float(integrals[k]) for k in ("seconds", "energy", "dose"))
        except (KeyError, TypeError, ValueError):
            return
        if all(math.isfinite(v) and v >= 0 for v in (seconds, energy, dose)):
            self.seconds, self._energy, self._dose = seconds, energy, dose


def exposure_text(exposure: dict | None, lead: str = "") -> str:
    """A session's exposure (an ``exposure`` record's figures) in words; empty when nothing was measured."""
    from player.durations import format_duration

    if not exposure or exposure.get("leq_db") is None:
        return ""
    text = f"{lead}heard {exposure['leq_db']:g} dB Leq over {format_duration(exposure['seconds'] or 0)}"
    if exposure.get("laeq_dba") is not None:
        text += (f", {exposure['laeq_dba']:g} dBA LAeq: {100 * exposure['daily_dose']:.2f} % of a daily "
                 f"85 dBA / 8 h dose, {100 * exposure['weekly_share']:.2f} % of WHO's weekly 80 dBA / 40 h")
    return text
