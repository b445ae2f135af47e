"""Loudness of the tracks to come, measured ahead on one worker thread, most urgent first.

The mixer never plays a guessed level: before a deck may be heard its normalization gain
must be known, from tags or the cache (at once), or from a measurement. A measurement
reports as it goes (ffmpeg's running integrated loudness), so a track needed right now can
come in on a *provisional* gain after a few seconds of analysis; the final figure then
reaches the heard deck as a slow glide (see `player.core.gain.Glide`), never as a step.

`want(path, priority)` asks (lower priority = sooner; the mixer uses 0 for a deck it is
loading now, the engine's prefetch uses the play order); `result(path)` is a cheap,
thread-safe read of what is known. Engine thread and worker thread only meet under one lock.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from player.core.level_model import TrackLevel
from player.core.media import GainResult

log = logging.getLogger(__name__)


class LevelMeasurer(Protocol):
    def measure_level(self, path: Path, progress: Callable[[float, TrackLevel], None] | None = None) -> TrackLevel:
        """Loudness figures of `path`; calls `progress(analysed_s, figures_so_far)` as it goes."""


class Analyzer:
    """Measures files on one daemon worker thread, in priority order.

    Args:
        measurer: the loudness lookup (tags, cache, ffmpeg); None means no normalization
            (every file plays at its mastered level at once, for tests and plain playback).
        threaded: False measures inside `want` (deterministic tests with instant measurers).
        also: told of every `want` (path, priority), e.g. the background voice scan
            (`player.audio.voice_worker`), which then works in the same order while `busy` is False.
    """

    def __init__(self, measurer: LevelMeasurer | None, *, threaded: bool = True,
                 also: Callable[[Path, int], None] | None = None) -> None:
        self._measurer = measurer
        self._also = also
        self._threaded = threaded
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._results: dict[Path, GainResult] = {}
        self._queued: dict[Path, int] = {}
        self._heap: list[tuple[int, int, Path]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._running: set[Path] = set()
        self.revision = 0            # counts final results: the session reference is recomputed when it moves

    def __repr__(self) -> str:
        return f"<Analyzer {len(self._results)} known, {len(self._queued)} queued>"

    def want(self, path: Path, priority: int = 1000) -> None:
        """Have `path` measured; a lower `priority` than asked before moves it up the queue."""
        if self._also is not None:
            self._also(path, priority)
        if self._measurer is None:
            return
        with self._lock:
            known = self._results.get(path)
            if self._closed or (known is not None and (known.final or known.error)) or path in self._running \
                    or self._queued.get(path, priority + 1) <= priority:
                return
            self._queued[path] = priority
            heapq.heappush(self._heap, (priority, next(self._order), path))
            if self._threaded:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="loudness", daemon=True)
                    self._thread.start()
                self._wake.notify()
                return
        self._measure_next()

    def result(self, path: Path) -> GainResult:
        if self._measurer is None:
            return GainResult(final=True, unnormalized=True)
        with self._lock:
            return self._results.get(path, GainResult())

    def final_levels(self, paths: list[Path]) -> list[TrackLevel]:
        """The final figures known among `paths` (what the session's reference is computed from)."""
        with self._lock:
            found = (self._results.get(p) for p in paths)
            return [r.level for r in found if r is not None and r.final and r.level is not None]

    def record(self, path: Path, result: GainResult) -> None:
        """Store what is known of `path` (the worker's progress; tests use it to simulate arrivals)."""
        with self._lock:
            self._results[path] = result
            self.revision += result.final

    def busy(self) -> bool:
        """Something is queued or being measured (cheap; any thread)."""
        with self._lock:
            return bool(self._queued or self._running)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until nothing is queued or being measured (start-up, tests)."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._queued and not self._running, timeout_s)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._heap.clear()
            self._queued.clear()
            self._wake.notify_all()

    # --- worker -----------------------------------------------------------------------
    def _run(self) -> None:
        while self._measure_next(block=True):
            pass

    def _measure_next(self, block: bool = False) -> bool:
        with self._lock:
            while True:
                while self._heap and self._queued.get(self._heap[0][2]) != self._heap[0][0]:
                    heapq.heappop(self._heap)   # superseded by a more urgent request
                if self._heap or self._closed or not block:
                    break
                self._wake.wait()
            if self._closed or not self._heap:
                return False
            _, _, path = heapq.heappop(self._heap)
            del self._queued[path]
            self._running.add(path)
        try:
            level = self._measurer.measure_level(path, lambda s, lv: self.record(path, GainResult(lv, False, s)))
            final = GainResult(level, final=True)
        except Exception as exc:  # noqa: BLE001 - a file that cannot be measured must not stop the others
            log.warning("loudness of %s cannot be measured: %s", path.name, exc)
            final = GainResult(error=str(exc) or type(exc).__name__)
        with self._lock:
            self._results[path] = final
            self.revision += 1
            self._running.discard(path)
            self._wake.notify_all()
        return True
