"""Loudness of the tracks to come, measured ahead on one worker thread, most urgent first.

The mixer never plays a guessed level: before a deck may be heard its normalization gain
must be known, from tags or the cache (at once), or from a measurement. A measurement
reports as it goes (ffmpeg's running integrated loudness), so a track needed right now can
come in on a *provisional* gain after a few seconds of analysis; the final figure then
reaches the heard deck as a slow glide (see `player.core.gain.Glide`), never as a step.

`want(path, priority)` asks (lower priority = sooner; the mixer uses 0 for a deck it is
loading now, the engine's prefetch uses the play order); `result(path)` is a cheap,
thread-safe read of what is known. Engine thread and worker thread only meet under one lock.

Playback first (`player.background`): the daemon's worker runs at nice 19 and I/O class idle,
its ffmpeg at SCHED_IDLE, paced to a share of the CPU budget; and work done ahead (any priority
but `URGENT`) starts only once the audio path is quiet (no deck loading, pre-rolling or
fading: the `Foreground` flag), waiting at most `QUIET_MAX_WAIT_S`. Paced work may take
minutes, so an urgent request stops it (a held ffmpeg is killed within 100 ms; a measurer
without one stops where its progress callback raises `Preempted`) and it is queued again
behind the urgent one.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from player.background import Foreground, lower_priority
from player.core.level_model import TrackLevel
from player.core.media import GainResult

log = logging.getLogger(__name__)

#: A deck waits for this one now: measured at once, whatever the audio path is doing.
URGENT = 0
#: Work ahead waits for a quiet audio path at most this long, then goes on (it must not starve).
QUIET_MAX_WAIT_S = 30.0
QUIET_POLL_S = 0.25   # how often a wait for quiet looks for an urgent request


class Preempted(Exception):
    """A measurement done ahead was stopped for an urgent one; it is queued again."""


class LevelMeasurer(Protocol):
    def measure_level(self, path: Path, progress: Callable[[float, TrackLevel], None] | None = None) -> TrackLevel:
        """Loudness figures of `path`; calls `progress(analysed_s, figures_so_far)` as it goes."""


class Analyzer:
    """Measures files on one daemon worker thread, in priority order.

    Args:
        measurer: the loudness lookup (tags, cache, ffmpeg); None means no normalization
            (every file plays at its mastered level at once, for tests and plain playback).
        threaded: False measures inside `want` (deterministic tests with instant measurers).
        foreground: the audio path's busy flag; work ahead waits for it to clear (None: never waits).
        background: lower the worker thread to background priority (nice 19, I/O idle) as it starts,
            and tell the measurer which jobs are urgent (``measure_level(..., urgent=True)``: a deck
            waits for it and nothing plays yet, so it is not held back as work ahead is).
        also: told of every `want` (path, priority), e.g. the background voice scan
            (`player.audio.voice_worker`), which then works in the same order while `busy` is False.
    """

    def __init__(self, measurer: LevelMeasurer | None, *, threaded: bool = True,
                 foreground: Foreground | None = None, background: bool = False,
                 also: Callable[[Path, int], None] | None = None) -> None:
        self._measurer = measurer
        self._also = also
        self._threaded = threaded
        self._foreground = foreground
        self._background = background
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
        self._current: tuple[Path, int] | None = None   # the job being measured, and its priority
        self._preempt = threading.Event()

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
            if self._closed or (known is not None and (known.final or known.error)):
                return
            current = self._current
            if self._background and current is not None and priority <= URGENT < current[1]:
                # a paced job ahead may take minutes under a CPU quota: the deck waiting goes first
                self._preempt.set()
                if current[0] == path:
                    self._current = (path, priority)
            if path in self._running or self._queued.get(path, priority + 1) <= priority:
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

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop: nothing more is measured, and the measurement in progress is stopped, its ffmpeg killed.

        The worker is a daemon thread: without the wait, a process that stops right after
        (the service, a test, a benchmark) left ffmpeg running as an orphan to the track's end.
        """
        with self._lock:
            self._closed = True
            self._heap.clear()
            self._queued.clear()
            self._preempt.set()                 # the measurer stops at its next progress report
            self._wake.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    # --- worker -----------------------------------------------------------------------
    def _run(self) -> None:
        if self._background:
            lower_priority(idle_policy=False)   # ffmpeg itself is started at SCHED_IDLE (LoudnessLookup)
        while self._measure_next(block=True):
            pass

    def _next_job(self, block: bool, waited_s: float) -> tuple[Path | None, bool, bool]:
        """(the job to run now, or None; whether to wait for a quiet audio path first; whether it is urgent)."""
        with self._lock:
            while True:
                while self._heap and self._queued.get(self._heap[0][2]) != self._heap[0][0]:
                    heapq.heappop(self._heap)   # superseded by a more urgent request
                if self._heap or self._closed or not block:
                    break
                self._wake.wait()
            if self._closed or not self._heap:
                return None, False, False
            if self._heap[0][0] > URGENT and waited_s < QUIET_MAX_WAIT_S and self._foreground is not None \
                    and self._foreground.busy():
                return None, True, False
            priority, _, path = heapq.heappop(self._heap)
            del self._queued[path]
            self._running.add(path)
            self._current = (path, priority)
            self._preempt.clear()
            return path, False, priority <= URGENT

    def _measure_next(self, block: bool = False) -> bool:
        waited_s = 0.0
        while True:
            path, wait, urgent = self._next_job(block, waited_s)
            if not wait:
                break
            assert self._foreground is not None
            self._foreground.wait_quiet(QUIET_POLL_S)   # short waits: an urgent request goes first
            waited_s += QUIET_POLL_S
        if path is None:
            return False
        def progress(analysed_s: float, level: TrackLevel) -> None:
            if self._preempt.is_set():
                raise Preempted(path)          # the measurer's ffmpeg is stopped on the way out
            self.record(path, GainResult(level, False, analysed_s))

        final: GainResult | None
        try:
            # a background measurer is told when a deck waits for this one: it then runs at once, not at
            # SCHED_IDLE (held to half a quota); and given the preempt flag, which stops a held ffmpeg
            # that may print nothing for seconds
            urgency = {"urgent": urgent, "cancel": self._preempt} if self._background else {}
            final = GainResult(self._measurer.measure_level(path, progress, **urgency), final=True)
        except Preempted:
            final = None
        except Exception as exc:  # noqa: BLE001 - a file that cannot be measured must not stop the others
            if self._preempt.is_set():         # stopped on purpose, the measurer's own way: not a fault
                final = None
            else:
                log.warning("loudness of %s cannot be measured: %s", path.name, exc)
                final = GainResult(error=str(exc) or type(exc).__name__)
        with self._lock:
            if final is None:                  # queued again, as urgent as anyone asked since
                priority = self._current[1] if self._current is not None else URGENT
                self._queued[path] = priority
                heapq.heappush(self._heap, (priority, next(self._order), path))
            else:
                self._results[path] = final
                self.revision += 1
            self._running.discard(path)
            self._current = None
            self._wake.notify_all()
        return True
