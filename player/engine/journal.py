"""The session's records on their way out: numbered, stamped, on the disk (or waiting), to the listeners.

Part of the engine shell (player/engine/loop.py), engine thread only. It numbers each record
the session core decided (player/core/effects.py `Record`), stamps the wall time, hands it
to the `RecordKeeper` (player/engine/records.py: the durable write, or memory while the disk
refuses) and then to the listeners; and it integrates the level heard into the session's
``exposure`` records (player/core/exposure.py). When a disk problem becomes a fault staff
see is the core's rule (`SessionMachine.storage`), not this module's.
"""

from __future__ import annotations

from collections.abc import Callable

from player.clock import Clock
from player.config import Config
from player.control.controller import Listeners
from player.core.effects import Record
from player.core.exposure import ExposureMeter
from player.core.vocabulary import check_record
from player.engine.records import RecordKeeper

EXPOSURE_EVERY_S = 300.0


class Journal:
    """Writes the records of the session whose log is open (or of the daemon's log between sessions).

    Args:
        config: the daemon's configuration (the chair's calibration, for the exposure records).
        clock: wall time for the records' ``time``.
        keeper: the durable store.
        listeners: told every record after it is written (or waits in memory).
        stored: called after each write to the keeper (the engine asks the core whether the
            disk's state is a fault now).
        published: called after each record is written and before the listeners get it, so a
            listener that reads the status sees the state this record leaves.
    """

    def __init__(self, config: Config, clock: Clock, keeper: RecordKeeper, listeners: Listeners, *,
                 stored: Callable[[], None], published: Callable[[], None]) -> None:
        self._config = config
        self._clock = clock
        self.keeper = keeper
        self._listeners = listeners
        self._stored = stored
        self._published = published
        self._seq = 0
        self.session_id: str | None = None   # whose log records go to (the core may have moved on)
        self._meter = ExposureMeter()
        self._metered_at: float | None = None
        self._measured_at = -1e18
        self._origin = 0.0

    def open(self, session_id: str, origin: float | None) -> None:
        """Open (or reopen after a restart) the session's log and its exposure so far."""
        opened = self.keeper.open_session(session_id)
        self._seq, self.session_id = opened.seq, session_id
        self._meter = ExposureMeter()
        if opened.exposure:
            self._meter.restore(opened.exposure)
        self._metered_at = self._measured_at = self._clock.monotonic()
        self._origin = self._metered_at if origin is None else origin

    def close(self) -> None:
        self.keeper.close_session()
        self._seq, self.session_id = 0, None

    def write(self, fx: Record, actor: dict | None = None) -> None:
        """One record: numbered, stamped, on the disk (or waiting), to the listeners."""
        check_record(fx.type, fx.source, fx.details)
        self._seq += 1
        record = {"seq": self._seq, "time": self._clock.wall().isoformat(timespec="milliseconds"),
                  "elapsed_s": round(fx.at_s, 3), "type": fx.type, "source": fx.source, "details": fx.details,
                  "session_id": self.session_id}
        if actor and fx.source != "system":
            record["actor"] = actor
        self.keeper.write(record)
        self._stored()
        self._published()
        self._listeners.deliver(record)

    def exposure(self, now: float, heard_db: float | None, *, final: bool = False) -> Record | None:
        """Integrate the level heard (player/core/exposure.py); a record every 5 min and at the end."""
        if self.session_id is None:
            return None
        if self._metered_at is not None:
            self._meter.add(now - self._metered_at, heard_db)
        self._metered_at = now
        if not final and now - self._measured_at < EXPOSURE_EVERY_S:
            return None
        self._measured_at = now
        details = {**self._meter.summary(self._config.volume.calibration_dba_at_0db),
                   **{k: round(v, 6) for k, v in self._meter.integrals().items() if k != "seconds"}}
        return Record("exposure", "system", round(now - self._origin, 3), details)
