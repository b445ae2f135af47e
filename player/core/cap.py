"""The volume cap in force, and the dB/dBA conversions it rests on (pure).

The config holds what the technician wrote: ``volume.max_db`` (dB re full scale) and, once the
chair is calibrated, ``volume.max_dba`` at the ear with ``volume.calibration_dba_at_0db``. The
cap every path obeys is the lower of the two, computed here where it is used (the outputs,
the master level, the session's records, the status, the config check); the config itself is
never rewritten, so what it shows is what the file says.
"""

from __future__ import annotations

from typing import Protocol

HARD_CEILING_DBA = 85.0  # volume.max_dba may not be set above this


class CapSettings(Protocol):
    """The three settings the cap comes from (the config's ``volume`` section has them)."""

    @property
    def max_db(self) -> float: ...
    @property
    def max_dba(self) -> float: ...
    @property
    def calibration_dba_at_0db(self) -> float | None: ...


def db_to_dba(level_db: float, calibration_dba_at_0db: float) -> float:
    """The level at the ear of programme at the loudness target played at `level_db`."""
    return level_db + calibration_dba_at_0db


def dba_to_db(level_dba: float, calibration_dba_at_0db: float) -> float:
    """The player level (dB re full scale) that gives `level_dba` at the ear."""
    return level_dba - calibration_dba_at_0db


def effective_cap_db(max_db: float, max_dba: float, calibration_dba_at_0db: float | None) -> float:
    """The cap in force: ``volume.max_db``, lowered so that no level exceeds ``max_dba`` when calibrated."""
    if calibration_dba_at_0db is None:
        return max_db
    return min(max_db, dba_to_db(max_dba, calibration_dba_at_0db))


def cap_db(volume: CapSettings) -> float:
    """The cap in force for a config's ``volume`` section: what every output and level obeys."""
    return effective_cap_db(volume.max_db, volume.max_dba, volume.calibration_dba_at_0db)


def calibrated_cap_applies(volume: CapSettings) -> bool:
    """Whether the dBA cap is the lower one, so the cap in force is not ``volume.max_db`` itself."""
    return cap_db(volume) < volume.max_db
