"""Keeping the clinic's records when the SD card fills up or turns read-only.

`RecordKeeper` is the engine's one way to the disk for records and saved state. Records go
to the running session's log (``<data_dir>/sessions/<id>/events.jsonl``) or, outside a
session, to the daemon's own log (``<data_dir>/daemon-events.jsonl``). A write the disk
refuses never propagates: the record waits in memory, in order (at most `max_pending`),
`problem` says why ("No space left on device"), and every `retry` tries again; when the
disk takes writes again, everything waiting is written in order. The engine turns
`problem` into a fault staff see everywhere. Past `max_pending` waiting records a new one
is dropped and counted in `lost`, which the engine also shows as a fault and records.

Beside the private resume state it keeps one public file, ``<data_dir>/session-active.json``
(``{"session_id", "playlist_path"}``, present exactly while a session runs or waits to be
resumed), which the USB import reads when no daemon answers: an import is then deferred,
and the library generation the session plays from is kept.

A full card would also refuse the fault's own record, so a small reserve file is kept
(``.record-reserve``, 1 MiB): when the card is full it is deleted, and the records
written into the space it frees; it is made again once space returns.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from player.config import SESSION_ACTIVE_FILE  # public: which session is running (see the module doc)
from player.engine.eventlog import DAEMON_LOG, EventLog, scan_events, session_log_path
from player.engine.statefile import STATE_FILE, StateFile
from player.fsutil import atomic_write_text

log = logging.getLogger(__name__)

RESERVE_FILE = ".record-reserve"
RESERVE_BYTES = 1 << 20
MAX_PENDING = 20_000

_UNSET = object()


def _log_at(path: Path) -> EventLog:
    """A log opened for each append: no file of ours stays open on a card being remounted read-only."""
    return EventLog(path, keep_open=False)


@dataclass(frozen=True)
class SessionLog:
    """What a session's log already holds when it is opened."""

    seq: int                    # the last record's number
    missing: bool               # no records (deleted or emptied while the player was down)
    exposure: dict | None       # the last exposure record's details (its integrals continue)


class RecordKeeper:
    """Durable records and saved state, with a memory buffer while the disk refuses. Engine thread only."""

    def __init__(self, data_dir: Path, *, max_pending: int = MAX_PENDING, reserve_bytes: int = RESERVE_BYTES,
                 open_log: Callable[[Path], EventLog] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.max_pending = max_pending
        self._open_log = open_log or _log_at      # tests pass a log that refuses writes (any user, no mount)
        self._reserve = self.data_dir / RESERVE_FILE
        self._reserve_bytes = reserve_bytes
        self._daemon_log = self._open_log(self.data_dir / DAEMON_LOG)
        self._session_log: EventLog | None = None
        self._pending: deque[tuple[EventLog, dict]] = deque()
        self._state_file = StateFile(self.data_dir / STATE_FILE)
        self._state_pending: object = _UNSET      # a save (dict) or clear (None) not yet on disk
        self._active = self.data_dir / SESSION_ACTIVE_FILE
        self._active_shown: object = _UNSET
        self.problem: str | None = None
        self.lost = 0                             # records dropped because the buffer was full (a fault)
        self._since: str | None = None

    def __repr__(self) -> str:
        return f"<RecordKeeper {self.data_dir} pending={len(self._pending)} problem={self.problem!r}>"

    @property
    def pending(self) -> int:
        return len(self._pending)

    # --- the session's log -------------------------------------------------------------
    def open_session(self, session_id: str) -> SessionLog:
        """Records now go to this session's log; what it holds already (a restart continues it).

        A log that is missing or empty when a session is resumed is reported (`missing`), so
        staff know its earlier records are gone.
        """
        self.close_session()
        path = session_log_path(self.data_dir, session_id)
        self._session_log = self._open_log(path)
        try:
            events, _ = scan_events(path)
        except FileNotFoundError:
            return SessionLog(0, True, None)
        except OSError as exc:
            log.warning("cannot read %s (%s)", path, exc)
            return SessionLog(0, True, None)
        seq = max((r["seq"] for r in events if isinstance(r.get("seq"), int)), default=0)
        exposure = next((r.get("details") for r in reversed(events) if r.get("type") == "exposure"), None)
        return SessionLog(seq, not events, exposure if isinstance(exposure, dict) else None)

    def close_session(self) -> None:
        log_, self._session_log = self._session_log, None
        if log_ is not None and not any(target is log_ for target, _ in self._pending):
            log_.close()

    # --- records --------------------------------------------------------------------------
    def write(self, record: dict) -> bool:
        """Write `record` (to the session's log, else the daemon's); False if it waits in memory."""
        target = self._session_log or self._daemon_log
        if self._pending:
            self.retry()          # those waiting go first; then, when they are all written, this one
        if not self._pending:
            try:
                self._append(target, record)
                return True
            except OSError as exc:
                self._refused(exc)
        self._queue(target, record)
        return False

    def append_to(self, path: Path, record: dict) -> bool:
        """Append `record` to another log of ours (a finished session's music feedback), with the same
        durability and the same memory buffer as `write`; False if it waits in memory."""
        target = self._open_log(path)
        if self._pending:
            self.retry()
        if not self._pending:
            try:
                self._append(target, record)
                target.close()
                return True
            except OSError as exc:
                self._refused(exc)
        self._queue(target, record)
        return False

    def _append(self, target: EventLog, record: dict) -> None:
        try:
            target.append(record)
        except OSError as exc:
            if exc.errno != errno.ENOSPC or not self._reserve.exists():
                raise
            with contextlib.suppress(OSError):
                self._reserve.unlink()             # the room kept for exactly this
            log.warning("data disk full: released the %d-byte record reserve", self._reserve_bytes)
            self._refused(exc)                     # still a fault: the reserve is all the room left
            target.append(record)

    def _queue(self, target: EventLog, record: dict) -> None:
        if len(self._pending) >= self.max_pending:
            self.lost += 1
            return
        if not self._pending:
            self._since = str(record.get("time"))
        self._pending.append((target, record))

    def _refused(self, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        if self.problem is None:
            log.error("session records cannot be saved: %s; keeping them in memory and retrying", reason)
        self.problem = reason

    def retry(self) -> int:
        """Try what waits, in order; returns how many records were written now."""
        written = 0
        while self._pending:
            target, record = self._pending[0]
            try:
                self._append(target, record)
            except OSError as exc:
                self._refused(exc)
                return written
            self._pending.popleft()
            written += 1
            if target is not self._session_log and target is not self._daemon_log \
                    and not any(t is target for t, _ in self._pending):
                target.close()                     # a session that ended while its records waited
        if self._state_pending is not _UNSET:
            self._write_state(self._state_pending)
        if self._state_pending is _UNSET and self.problem is not None and self.keep_reserve():
            log.info("session records can be saved again (%d written from memory)", written)
            self.problem = None
        return written

    @property
    def waiting_since(self) -> str | None:
        """The time of the oldest record that waits (None when none does)."""
        return self._since if self._pending else None

    # --- saved state -------------------------------------------------------------------------
    def load_state(self) -> dict | None:
        return self._state_file.load()

    def save_state(self, state: dict | None) -> None:
        """Save (a dict) or clear (None) the resume state; a refusal waits like a record."""
        self._write_state(state)

    def _write_state(self, state: object) -> None:
        try:
            if state is None:
                self._state_file.clear()
            else:
                self._state_file.save(state)  # type: ignore[arg-type]
            self._show_active(None if state is None else {k: state.get(k)  # type: ignore[union-attr]
                                                          for k in ("session_id", "playlist_path")})
        except OSError as exc:
            self._refused(exc)
            self._state_pending = state
            return
        self._state_pending = _UNSET

    def _show_active(self, active: dict | None) -> None:
        if active == self._active_shown:
            return
        if active is None:
            with contextlib.suppress(FileNotFoundError):
                self._active.unlink()
        else:
            atomic_write_text(self._active, json.dumps(active, sort_keys=True) + "\n", mode=0o644)
        self._active_shown = active

    # --- the reserve ---------------------------------------------------------------------------
    def keep_reserve(self) -> bool:
        """Make the reserve file if it is missing; False when the disk says no (full, read-only)."""
        if self._reserve.exists():
            return True
        try:
            fd = os.open(self._reserve, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return False
        try:
            os.posix_fallocate(fd, 0, self._reserve_bytes)
            os.fsync(fd)
            return True
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(self._reserve)
            return False
        finally:
            os.close(fd)

    def close(self) -> None:
        self.close_session()
        self._daemon_log.close()
