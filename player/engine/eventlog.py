"""The session's durable event log: one JSON object per line, append-only, fsync'd.

The engine acknowledges a staff control only after `EventLog.append` returns, so every
acknowledged event is on the disk (file data fsync'd; the directory fsync'd when the file
was created). A power cut can still tear the line being written; `read_events` skips a
torn or corrupt line with a warning instead of failing, and reopening a torn log starts
the next record on a fresh line so a fragment never merges with a good record. A write
the disk refuses half-way (full card) is cut back off the file, or, if even that fails,
the next record starts on a fresh line: the fragment is one unreadable line, never the
next acknowledged record glued to it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

from player.core.vocabulary import is_session_id
from player.errors import SessionNotFound
from player.fsutil import fsync_dir, make_dirs_durable, write_all

log = logging.getLogger(__name__)

SESSIONS_DIR = "sessions"
EVENTS_FILE = "events.jsonl"
#: Records made outside a session (a library change while idle, a disk fault before a session).
DAEMON_LOG = "daemon-events.jsonl"

def check_session_id(session_id: str) -> str:
    """Return `session_id` if it is safe to use as a directory name, else raise SessionNotFound."""
    if not is_session_id(session_id):
        raise SessionNotFound(f"{session_id!r} is not a session id (letters, digits, '.', '_' and '-' only; "
                              "'session-player sessions' lists them)")
    return session_id


def session_log_path(data_dir: str | os.PathLike[str], session_id: str) -> Path:
    """``<data_dir>/sessions/<session_id>/events.jsonl``, after checking the id."""
    return Path(data_dir) / SESSIONS_DIR / check_session_id(session_id) / EVENTS_FILE


def jsonable(value: object) -> object:
    """`json.dumps` default: encode the few non-JSON types records carry (paths, times)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"event records hold only JSON values, paths and times; got {type(value).__name__}")


def encode_record(record: dict) -> bytes:
    """One record as one UTF-8 line ending in a newline (JSON escapes any newline inside)."""
    if not isinstance(record, dict):
        raise TypeError(f"an event record must be a dict, got {type(record).__name__}")
    text = json.dumps(record, ensure_ascii=False, allow_nan=False, default=jsonable)
    return text.encode("utf-8") + b"\n"


class EventLog:
    """Append-only JSONL file; each `append` is on the disk before it returns.

    The file is opened (``O_APPEND``, created with its parent directories) on the first
    append, so constructing one does no I/O. Not for concurrent writers in several
    processes; appends from several threads of one process are serialized.

    Args:
        path: the log file, normally ``<data_dir>/sessions/<id>/events.jsonl``.
        keep_open: keep the file open between appends (fast); False opens it for each
            append, so that no file of ours stays open for writing on a card that has to be
            remounted read-only (the engine's records come a few a minute).
    """

    def __init__(self, path: str | os.PathLike[str], *, keep_open: bool = True) -> None:
        self.path = Path(path)
        self._keep_open = keep_open
        self._fd: int | None = None
        self._closed = False
        self._torn = False          # a failed write may have left a fragment at the end
        self._lock = threading.Lock()

    def _open(self) -> int:
        make_dirs_durable(self.path.parent)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            if created:
                os.fsync(fd)
                fsync_dir(self.path.parent)
            elif _ends_torn(fd):
                log.warning("%s: the last line was cut short (power loss?); continuing on a new line",
                            self.path)
                write_all(fd, b"\n")
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def append(self, record: dict) -> None:
        """Write `record` as one line and fsync it; raises OSError if the disk refuses.

        Raises:
            TypeError, ValueError: the record is not a dict of JSON values (nothing written).
            RuntimeError: the log was closed.
        """
        line = encode_record(record)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"event log {self.path} is closed")
            if self._fd is None:
                self._fd = self._open()
            fd = self._fd
            try:
                size = os.fstat(fd).st_size
                try:
                    write_all(fd, (b"\n" if self._torn else b"") + line)
                    os.fsync(fd)
                except OSError:
                    try:
                        os.ftruncate(fd, size)     # take a half-written line back off
                    except OSError:
                        self._torn = True
                    raise
                self._torn = False
            finally:
                if not self._keep_open:
                    self._fd = None
                    os.close(fd)

    def close(self) -> None:
        """Close the file; safe to call twice."""
        with self._lock:
            fd, self._fd = self._fd, None
            self._closed = True
        if fd is not None:
            os.close(fd)

    @property
    def is_closed(self) -> bool:
        return self._closed

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._fd is not None else "not yet opened"
        return f"<EventLog {self.path} {state}>"


def _ends_torn(fd: int) -> bool:
    """True when the file is non-empty and its last byte is not a newline."""
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def scan_events(path: str | os.PathLike[str]) -> tuple[list[dict], list[str]]:
    """Read every good record and describe every line that was skipped.

    Splits on ``\\n`` only (JSON strings may hold U+2028 and friends, which
    `str.splitlines` would break on). A last line without its newline is kept if it is a
    whole JSON object (the write finished but the newline was lost) and otherwise
    reported as torn.

    Returns:
        (records in file order, problems as ``"FILE:LINE: message"``).

    Raises:
        FileNotFoundError: no log at `path`.
    """
    path = Path(path)
    data = path.read_bytes()
    lines = data.split(b"\n")
    last_index = len(lines) - 1  # b"" when the file ends with a newline
    events: list[dict] = []
    problems: list[str] = []
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        where = f"{path}:{index + 1}"
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if index == last_index:
                problems.append(f"{where}: last line cut short (power loss?); skipped {len(raw)} bytes")
            else:
                problems.append(f"{where}: not valid JSON; line skipped")
            continue
        if not isinstance(record, dict):
            problems.append(f"{where}: not a JSON object; line skipped")
            continue
        events.append(record)
    return events, problems


def read_events(path: str | os.PathLike[str]) -> list[dict]:
    """Every good record in `path`, logging a warning for each skipped line.

    Raises:
        FileNotFoundError: no log at `path`.
    """
    events, problems = scan_events(path)
    for problem in problems:
        log.warning("%s", problem)
    return events
