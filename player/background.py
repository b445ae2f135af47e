"""Background jobs yield to the music: lowest priority, a small share of the CPU budget, and quiet moments.

A chair may have a fraction of one core (a slow Pi, or systemd's ``CPUQuota=``, a budget the
whole service shares). Priority alone does not protect playback there: whichever task runs
first spends the period's budget, and the audio threads then wait for the next period. So a
background job (loudness analysis, file hashing, the USB copy) here:

- runs at the lowest CPU and I/O priority: nice 19, ``SCHED_IDLE``, I/O class idle
  (`lower_priority`, applied to the calling OS thread; children it forks inherit all three);
- takes little at a time: `Pacer` turns the service's CPU budget (its cgroup quota) into a
  share, which a `DutyCycle` holds a child process to (it runs a slice of every 100 ms period
  and is stopped the rest), so analysis spends about `Pacer.share` of the budget, evenly,
  never a period's worth at once;
- starts its next piece of work only when the audio path is quiet: `Foreground` is a
  thread-safe flag the audio output raises while a deck loads, pre-rolls, fades or stops.

The music's own threads never wait on any of this.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

NICE = 19
IOPRIO_CLASS_IDLE = 3
_IOPRIO_CLASS_SHIFT = 13
_IOPRIO_WHO_PROCESS = 1
# ioprio_get/ioprio_set have no libc wrapper: syscall numbers per architecture (Linux).
_IOPRIO_SYSCALLS = {"x86_64": (251, 252), "aarch64": (30, 31), "armv7l": (314, 315), "armv6l": (314, 315),
                    "i686": (289, 290)}


def _ioprio(call: int, *args: int) -> int:
    import ctypes  # here, not at import: ctypes.util and platform cost the daemon's cold start ~25 ms
    import ctypes.util
    import platform

    numbers = _IOPRIO_SYSCALLS.get(platform.machine())
    if numbers is None:
        raise OSError(f"ioprio syscalls unknown on {platform.machine()}")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    result = libc.syscall(numbers[call], *args)
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result


def io_class(tid: int = 0) -> int:
    """The I/O scheduling class of thread/process `tid` (0: the caller); 3 is idle."""
    return _ioprio(1, _IOPRIO_WHO_PROCESS, tid) >> _IOPRIO_CLASS_SHIFT


def lower_priority(*, idle_policy: bool = True) -> list[str]:
    """Nice 19, SCHED_IDLE and I/O class idle for the calling OS thread; what could not be set.

    Linux keeps all three per thread and copies them to a child at fork, so ffmpeg started
    from this thread runs at the same priority. None needs privilege (lowering only); none can
    be undone without it, so call it only on a thread that does background work for good.
    `idle_policy=False` keeps SCHED_OTHER (nice 19 still): for a *Python* thread, which may
    hold the GIL when preempted; at SCHED_IDLE on a busy CPU it could wait there unboundedly
    while the engine waits for the GIL.
    """
    tid = threading.get_native_id()
    failed = []
    try:
        os.setpriority(os.PRIO_PROCESS, tid, NICE)
    except OSError as exc:
        failed.append(f"nice {NICE}: {exc}")
    try:
        if idle_policy:
            os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
    except (OSError, AttributeError) as exc:
        failed.append(f"SCHED_IDLE: {exc}")
    try:
        _ioprio(0, _IOPRIO_WHO_PROCESS, tid, IOPRIO_CLASS_IDLE << _IOPRIO_CLASS_SHIFT)
    except OSError as exc:
        failed.append(f"I/O class idle: {exc}")
    for fault in failed:
        log.info("background priority: %s", fault)
    return failed


def spawn_lowered(start: Callable[[], T]) -> T:
    """Run `start` (e.g. a Popen) on a short-lived thread that first lowers its own priority.

    The child process inherits the lowest priority while the caller's thread keeps its own:
    a Python thread at SCHED_IDLE could hold the GIL while starved and stall the engine.
    """
    box: dict[str, T | BaseException] = {}

    def run() -> None:
        lower_priority()
        try:
            box["result"] = start()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="spawn-background", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]


def signal_name(signum: int) -> str:
    """A signal's name for a log line or a staff message ("SIGKILL"), or "signal N" for one Python doesn't name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Foreground:
    """Thread-safe flag: the audio path is busy (a deck loading, pre-rolling, fading) until a moment.

    The audio side calls `busy_for(seconds)` (cheap, never blocks for long); a background job
    calls `wait_quiet(max_wait_s)` before its next piece of work. `clock` is injectable (tests).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0
        self._changed = threading.Condition()

    def __repr__(self) -> str:
        return f"<Foreground {'busy' if self.busy() else 'quiet'}>"

    def busy_for(self, seconds: float) -> None:
        with self._changed:
            self._until = max(self._until, self._clock() + seconds)
            self._changed.notify_all()

    def busy(self) -> bool:
        with self._changed:
            return self._clock() < self._until

    def wait_quiet(self, max_wait_s: float, poll_s: float = 0.25) -> bool:
        """Block until the audio path is quiet (True) or `max_wait_s` passed (False: go on anyway)."""
        deadline = time.monotonic() + max_wait_s   # real time, whatever clock judges "busy"
        with self._changed:
            while (left := self._until - self._clock()) > 0:
                wait = min(left, poll_s, deadline - time.monotonic())
                if wait <= 0:
                    return False
                self._changed.wait(wait)
            return True


def _cgroup_quota(proc_cgroup: str, root: Path) -> float | None:
    """Cores the tightest CPU quota of this process's cgroup (and its parents) allows, None without one."""
    best: float | None = None
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "":   # cgroup v2
            base, files = root, ("cpu.max",)
        elif "cpu" in controllers.split(","):
            base = next((root / d for d in (controllers, "cpu", "cpu,cpuacct") if (root / d).is_dir()), None)
            files = ("cpu.cfs_quota_us", "cpu.cfs_period_us")
            if base is None:
                continue
        else:
            continue
        node = base / path.lstrip("/")
        while True:
            cores = _quota_at(node, files)
            if cores is not None:
                best = cores if best is None else min(best, cores)
            if node == base or base not in node.parents:
                break
            node = node.parent
    return best


def _quota_at(node: Path, files: tuple[str, ...]) -> float | None:
    try:
        if len(files) == 1:
            quota, period = (node / files[0]).read_text().split()
        else:
            quota, period = ((node / f).read_text().strip() for f in files)
    except (OSError, ValueError):
        return None
    if quota in ("max", "-1"):
        return None
    return int(quota) / int(period)


def cpu_budget(root: Path = Path("/sys/fs/cgroup")) -> tuple[float, bool]:
    """(cores this process may use, whether a cgroup quota limits it below its CPUs)."""
    cores = float(len(os.sched_getaffinity(0)))
    try:
        quota = _cgroup_quota(Path("/proc/self/cgroup").read_text(), root)
    except OSError:
        quota = None
    if quota is not None and quota < cores:
        return quota, True
    return cores, False


class Pacer:
    """How much of the CPU budget background work may take, and holding it there.

    Without a quota the work runs unheld (at SCHED_IDLE it only takes CPU nobody else wants).
    Under a quota it gets `share` of it: a child process (ffmpeg) through a `DutyCycle` of
    `fraction()`, work in the caller's thread (hashing) through `pace`.

    Args:
        budget: (cores, limited) as `cpu_budget` returns it.
        share: fraction of the budget background work may use.
    """

    URGENT_SHARE = 0.5   # a measurement a deck waits for: the other half is for the music and the pre-roll

    def __init__(self, budget: tuple[float, bool], share: float = 0.25) -> None:
        self.cores, self.limited = budget
        self.share = share

    def __repr__(self) -> str:
        return f"<Pacer {self.cores:.2f} cores{' (quota)' if self.limited else ''} share {self.share:g}>"

    def fraction(self, urgent: bool = False) -> float | None:
        """The share of wall time a background child may run (None: unheld, no quota).

        `urgent`: a measurement a deck waits for. Unheld, at nice 10 it still spent a whole
        5 % budget while the deck pre-rolled beside it, and the first sound broke up.
        """
        if not self.limited:
            return None
        return min(1.0, (self.URGENT_SHARE if urgent else self.share) * self.cores)

    def pace(self, cpu_s: float) -> None:
        """After `cpu_s` of work in the caller's thread (e.g. hashing a chunk), pause to keep to the share."""
        if self.limited:
            time.sleep(pace_sleep_s(cpu_s, self.share * self.cores))


class DutyCycle:
    """Lets a child process run `fraction` of every `period_s` and holds it stopped (SIGSTOP) the rest.

    Why not ffmpeg's ``-readrate``: under a quota its start-up (loading its libraries, about
    70 ms of CPU here: 1.4 s of a 5 % budget) is not paced at all, and a reader that fell
    behind catches up at full speed; either spent every period's budget at once, and the audio
    threads waking later in the period waited for the next (bench/budget.py). Stopped outright,
    the child takes at most `fraction` of each period, whatever it does inside; it starts
    stopped. The controlling thread keeps its caller's priority, so it preempts a SCHED_IDLE
    child. Use as a context manager around the child's life; the child is left running (SIGCONT)
    on the way out, so it can exit or be killed. The caller must not reap the child before.
    `cancel`: once set, the child is killed within a period (a held child may print nothing
    for seconds, so a caller that stops it at its next output would wait that long).
    `pause_while`: asked before each slice; while it says True the child stays stopped (a deck
    loading, pre-rolling or fading: `Foreground.busy`), so work already started yields too.
    A slice can run long: the stop is sent by a Python thread, which waits for the GIL while
    another thread runs (up to the 5 ms switch interval; measured: a busy child held to 1.25 %
    took 5.9 % beside a busy thread). So the child's CPU is read after each slice and the pause
    after it lengthened to pay back what it took: its share holds on average, whatever the GIL.
    """

    PERIOD_S = 0.1   # systemd's CPUQuota= period (the kernel's default)

    def __init__(self, pid: int, fraction: float, period_s: float = PERIOD_S,
                 cancel: threading.Event | None = None, pause_while: Callable[[], bool] | None = None) -> None:
        self._pid = pid
        self._cancel = cancel
        self._pause_while = pause_while
        self._fraction = fraction
        self._on_s = fraction * period_s
        self._off_s = period_s - self._on_s
        self._done = threading.Event()
        self._last_cpu_s = 0.0
        self._thread = threading.Thread(target=self._run, name="duty-cycle", daemon=True)

    def __repr__(self) -> str:
        return f"<DutyCycle pid {self._pid} {self._on_s * 1000:g} ms of {(self._on_s + self._off_s) * 1000:g}>"

    def __enter__(self) -> DutyCycle:
        self._signal(signal.SIGSTOP)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._signal(signal.SIGCONT)

    def _run(self) -> None:
        pause_s, used = self._off_s, self._cpu_s()
        while not self._done.wait(pause_s):
            if self._cancel is not None and self._cancel.is_set():
                self._signal(signal.SIGKILL)
                return
            if self._pause_while is not None and self._pause_while():
                continue
            self._signal(signal.SIGCONT)
            if self._done.wait(self._on_s):
                return
            self._signal(signal.SIGSTOP)
            now = self._cpu_s()          # what it ran since the last reading, a late stop included
            pause_s, used = max(self._off_s, pace_sleep_s(now - used, self._fraction)), now

    def _cpu_s(self) -> float:
        """The child's CPU seconds so far (the last figure once it is gone)."""
        with contextlib.suppress(OSError):
            self._last_cpu_s = process_cpu_s(self._pid)
        return self._last_cpu_s

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):   # a zombie takes signals: only a reaped pid is gone
            os.kill(self._pid, signum)


def process_cpu_s(pid: int) -> float:
    """CPU seconds of every thread of process `pid`, to the nanosecond (/proc/PID/task/*/schedstat).

    /proc/PID/stat counts in clock ticks (10 ms), coarser than a duty cycle's slice. A thread
    that ends while it is read is left out. Raises OSError once the process is gone.
    """
    total = 0
    for task in os.scandir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"{task.path}/schedstat", "rb") as stat:
            total += int(stat.read().split()[0])
    return total / 1e9


def pace_sleep_s(cpu_s: float, share_cores: float) -> float:
    """Pause after `cpu_s` of work so the work averages `share_cores` of a core."""
    return max(0.0, cpu_s / share_cores - cpu_s) if share_cores > 0 else 0.0
