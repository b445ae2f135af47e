"""The daemon's saved state (which session, phase, track, position) for power-loss resume.

Written on every change with write-temp + fsync + rename + fsync-dir, so after a power
cut the file holds either the previous or the new state, never a mix. Like MPD's
StateFile, an unchanged state is not rewritten (an SD card has finite writes). Like
Mopidy's state storage, a bad file loads as "no state" — and is renamed aside, so the
daemon does not trip over it on every start and staff can still inspect it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

from player.engine.eventlog import jsonable
from player.fsutil import atomic_write_bytes, fsync_dir, remove_stale_temps

log = logging.getLogger(__name__)

#: The daemon's saved state, ``<data_dir>/state.json``; the USB import reads it too.
STATE_FILE = "state.json"


class StateFile:
    """One JSON object kept durably at `path` (e.g. ``<data_dir>/state.json``).

    Constructing does no I/O. Methods are thread-safe.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._last: bytes | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _encode(state: dict) -> bytes:
        if not isinstance(state, dict):
            raise TypeError(f"saved state must be a dict, got {type(state).__name__}")
        return json.dumps(state, ensure_ascii=False, allow_nan=False, sort_keys=True,
                          indent=1, default=jsonable).encode("utf-8") + b"\n"

    def save(self, state: dict) -> bool:
        """Durably replace the saved state; returns False (writing nothing) if unchanged.

        Raises:
            TypeError, ValueError: `state` is not a dict of JSON values (nothing written).
            OSError: the disk refused; the previous state is intact.
        """
        data = self._encode(state)
        with self._lock:
            if data == self._last:
                return False
            atomic_write_bytes(self.path, data, mode=0o640)
            self._last = data
            return True

    def load(self) -> dict | None:
        """The saved state, or None when there is none or it is unreadable.

        Temp files left by a crash mid-save are deleted. A file that is not a JSON object
        is renamed to ``<name>.bad-<n>`` with a warning and None is returned.
        """
        with self._lock:
            for stale in remove_stale_temps(self.path):
                log.info("removed %s, left by an interrupted save", stale)
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                self._last = None
                return None
            try:
                state = json.loads(data.decode("utf-8"))
                problem = None if isinstance(state, dict) else f"holds a JSON {type(state).__name__}, not an object"
            except (UnicodeDecodeError, ValueError) as exc:
                problem = f"is not valid JSON ({exc})"
            if problem is not None:
                self._set_aside(problem)
                return None
            self._last = data
            return state

    def _set_aside(self, problem: str) -> None:
        n = 1
        while (aside := self.path.with_name(f"{self.path.name}.bad-{n}")).exists():
            n += 1
        try:
            os.rename(self.path, aside)
            fsync_dir(self.path.parent)
        except OSError as exc:
            log.warning("%s %s; could not move it aside (%s); starting without saved state",
                        self.path, problem, exc)
        else:
            log.warning("%s %s; moved it to %s and starting without saved state", self.path, problem, aside.name)
        self._last = None

    def clear(self) -> None:
        """Remove the saved state (the session ended); safe when there is none."""
        with self._lock:
            self._last = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
                fsync_dir(self.path.parent)

    def __repr__(self) -> str:
        return f"<StateFile {self.path}>"
