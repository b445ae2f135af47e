"""Import progress for people: ``<data_dir>/usb-status.json`` for the daemon/web/LED, a bar on a TTY.

The status file is rewritten atomically (never half a JSON), at most once a second while
copying so an SD card is not worn by progress updates, and always on a change of stage.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TextIO

from player.fsutil import atomic_write_text
from player.usb.plan import printable_tree

log = logging.getLogger(__name__)

STATUS_FILE = "usb-status.json"
#: Stages, in order; the last four are results.
STAGES = ("scanning", "validating", "copying", "verifying", "imported", "deferred", "unchanged", "failed")


def read_status(data_dir: str | os.PathLike[str]) -> dict | None:
    """The last import's status (for the web page / LED), or None when there is none or it is unreadable."""
    try:
        data = json.loads((Path(data_dir) / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class StatusReporter:
    """Writes the status file and, when `tty` is a terminal, draws a progress bar on it.

    Args:
        data_dir: where ``usb-status.json`` lives; None writes no file (dry runs).
        tty: stream for the bar (stderr by default); ignored unless it is a terminal.
        interval_s: least time between two file writes during one stage.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None, tty: TextIO | None = None,
                 interval_s: float = 1.0) -> None:
        self.path = Path(data_dir) / STATUS_FILE if data_dir is not None else None
        self.tty = tty if tty is not None else sys.stderr
        self.interval_s = interval_s
        self.state: dict = {"stage": None, "started": datetime.now().astimezone().isoformat(timespec="seconds"),
                            "files_total": 0, "bytes_done": 0, "bytes_total": 0, "message": ""}
        self._written = 0.0
        self._write_failed = False
        self._t0 = time.monotonic()

    def stage(self, stage: str, message: str = "", **extra: object) -> None:
        self.state.update(stage=stage, message=message, **extra)
        self._write(force=True)
        if self._is_tty():
            self.tty.write(f"\r\x1b[K{stage}: {message}\n" if message else f"\r\x1b[K{stage}\n")
            self.tty.flush()

    def totals(self, files: int, nbytes: int) -> None:
        self.state.update(files_total=files, bytes_total=nbytes, bytes_done=0)

    def advance(self, rel: str, nbytes: int) -> None:
        """`nbytes` more of `rel` were copied (called from the copier's threads, one at a time)."""
        self.state["bytes_done"] += nbytes
        self.state["current_file"] = rel
        self._write(force=False)
        if self._is_tty():
            self._bar()

    def _is_tty(self) -> bool:
        return bool(getattr(self.tty, "isatty", lambda: False)())

    def _bar(self) -> None:
        s = self.state
        frac = s["bytes_done"] / s["bytes_total"] if s["bytes_total"] else 1.0
        width = 30
        filled = int(frac * width)
        rate = s["bytes_done"] / max(time.monotonic() - self._t0, 1e-6) / 1e6
        self.tty.write(f"\r\x1b[K[{'#' * filled}{'.' * (width - filled)}] {frac * 100:5.1f}% "
                       f"{s['bytes_done'] / 1e6:.0f}/{s['bytes_total'] / 1e6:.0f} MB {rate:.0f} MB/s")
        self.tty.flush()

    def _write(self, force: bool) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if not force and now - self._written < self.interval_s:
            return
        self._written = now
        self.state["updated"] = datetime.now().astimezone().isoformat(timespec="seconds")
        state = printable_tree(self.state)  # a stick's folder name may be any bytes
        try:
            atomic_write_text(self.path, json.dumps(state, indent=1, ensure_ascii=False) + "\n")
        except OSError as exc:  # progress is for people; a full disk must not fail (or seem to fail) an import
            if not self._write_failed:
                log.warning("cannot write the import status %s: %s", self.path, exc.strerror or exc)
            self._write_failed = True
