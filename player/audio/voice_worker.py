"""The daemon listens for voices in the background: the loudness worker's order, only while it is idle.

The mixer asks the `Analyzer` for each file it will play (most urgent first); the analyzer
passes each request on here. One daemon thread, at the lowest CPU priority, has the most
urgent file not yet heard listened to, but only while no loudness measurement is queued or
running (a gain the mixer waits for always goes first: a scan in progress stops between
blocks and is taken up again later). Never on the engine thread: `want` only records the
request. In the daemon the listening itself happens in a child process
(`player.audio.voice_child`) that exits when nothing is left to hear; `close` ends it.
What is heard goes into the voice cache (so `check`, `plan` and the page see it) and the
journal; the music plays regardless: this is a warning for a clinician, never a skip.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from player.audio.voice import VoiceScan

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0   # how often a waiting worker looks again whether the loudness worker is idle


class Listener(Protocol):
    def scan(self, path: Path, keep_going: Callable[[], bool] | None = None) -> VoiceScan | None:
        """`player.audio.voice_cache.VoiceLookup.scan`."""

    def close(self) -> None:
        """`player.audio.voice_cache.VoiceLookup.close`: end what listens (the scan's child process)."""


class VoiceWorker:
    """Background voice scans in priority order (lower = sooner).

    Args:
        listener: the cached scan (`VoiceLookup`).
        busy: True while more urgent work is queued or running (the analyzer's `busy`).
    """

    def __init__(self, listener: Listener, busy: Callable[[], bool] = lambda: False) -> None:
        self._listener = listener
        self._busy = busy
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._wanted: dict[Path, int] = {}
        self._heard: dict[Path, VoiceScan] = {}
        self._running: Path | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._told: set[str] = set()   # why files could not be checked, each said once (a missing extra: every file)

    def __repr__(self) -> str:
        return f"<VoiceWorker {len(self._heard)} heard, {len(self._wanted)} wanted>"

    def want(self, path: Path, priority: int = 1000) -> None:
        """Have `path` listened to (cheap; any thread)."""
        with self._lock:
            if self._closed or path in self._heard or self._wanted.get(path, priority + 1) <= priority:
                return
            self._wanted[path] = priority
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="voice-scan", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def result(self, path: Path) -> VoiceScan | None:
        with self._lock:
            return self._heard.get(path)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until every wanted file was listened to (tests)."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._wanted and self._running is None, timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the scan in hand (the listener is closed: its child killed) and wait for the thread; safe twice."""
        with self._lock:
            self._closed = True
            self._wanted.clear()
            self._wake.notify_all()
            thread = self._thread
        self._listener.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _keep_going(self) -> bool:
        return not self._closed and not self._busy()

    def _run(self) -> None:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)   # this thread only (Linux)
        while True:
            with self._lock:
                while not self._closed and (not self._wanted or self._busy()):
                    self._wake.wait(IDLE_POLL_S)
                if self._closed:
                    return
                path = min(self._wanted, key=self._wanted.__getitem__)
                priority = self._wanted.pop(path)
                self._running = path
            try:
                heard = self._listener.scan(path, self._keep_going)
            except Exception as exc:  # noqa: BLE001 - one file must not stop the others; fail closed
                heard = VoiceScan(False, (), f"{type(exc).__name__}: {exc}")
            with self._lock:
                self._running = None
                if heard is None:                        # stopped for more urgent work: again later
                    if not self._closed:
                        self._wanted.setdefault(path, priority)
                else:
                    self._heard[path] = heard
                self._wake.notify_all()
            if heard is not None and (heard.voice or not heard.checked):
                self._tell(path, heard)

    def _tell(self, path: Path, heard: VoiceScan) -> None:
        """A voice heard is logged for every file; a reason it could not be checked once, then at debug level."""
        repeated = not heard.checked and heard.reason in self._told
        self._told.add(heard.reason)
        log.log(logging.DEBUG if repeated else logging.WARNING, "%s: %s%s", path.name, heard.describe(),
                "" if heard.checked or repeated else " (said once; other files alike at debug)")
