"""Run the stick's checker as a separate process: the service user, no capabilities, limits, a timeout.

The root parent (`usb-run`) only mounts, unmounts and commits; everything that parses what
the stick holds (its YAML, its audio tags, ffmpeg on its audio) runs in `player.usb.child`,
started here. Between fork and exec, still root, the new process gets in this order:
resource limits (`Limits`), its own process group, no_new_privs (prctl through ctypes),
an empty capability bounding set (when this process holds CAP_SETPCAP), then setgroups([]),
setgid and setuid to the service user. Setting the uid drops every capability. The child
then reads its own /proc/self/status and puts it in its answer, which the parent checks
(`answer.identity_problem`) before believing anything else in it.

`run_child` returns the child's raw answer, or why there is none: it crashed (a signal,
a CPU or file size limit), it exited non-zero, it ran out of time (the whole process group
is killed), or it wrote more than `Limits.answer_bytes`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import pwd
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import player
from player.background import signal_name

#: The user the daemon runs as (systemd/session-player.service); usb-run's --user.
SERVICE_USER = "session-player"
#: The folder holding the `player` package: the Debian package keeps it in /usr/share/session-player,
#: which is not on the path of an isolated (-I) interpreter, so the child is told where it is.
CODE_ROOT = str(Path(player.__file__).resolve().parent.parent)
CHILD_COMMAND = (sys.executable, "-I", "-c",
                 "import sys; sys.path.insert(0, sys.argv[1]); from player.usb.child import main; sys.exit(main())",
                 CODE_ROOT)
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
CAP_SETPCAP = 8
STDERR_TAIL = 4096


@dataclass(frozen=True)
class Limits:
    """What the checker may use. The timeout leaves the unit (TimeoutStartSec=2h) time to report."""

    address_bytes: int = 1024**3          # RLIMIT_AS: a YAML bomb or a hostile tag ends in MemoryError
    cpu_s: int = 3600                     # RLIMIT_CPU of the Python child (ffmpeg runs get their own)
    open_files: int = 256                 # RLIMIT_NOFILE
    file_bytes: int = 2 * 1024**3 + 2**20  # RLIMIT_FSIZE: no copy larger than usb.max_file_bytes (+1 MiB)
    timeout_s: float = 6000.0             # wall clock, the whole process group is killed after it
    answer_bytes: int = 16 * 1024**2      # more than this on the answer pipe is garbage


@dataclass(frozen=True)
class Account:
    """The user the child becomes; None in `run_child` means "stay who you are" (not root)."""

    name: str
    uid: int
    gid: int

    @classmethod
    def named(cls, name: str) -> Account:
        """Raises KeyError when there is no such user."""
        entry = pwd.getpwnam(name)
        return cls(name, entry.pw_uid, entry.pw_gid)


@dataclass(frozen=True)
class Outcome:
    """What came back: the answer bytes when the child exited 0 in time, else `failure` says why."""

    answer: bytes
    failure: str | None
    stderr: str


def holds_setpcap() -> bool:
    """Whether this process may empty a child's capability bounding set (CAP_SETPCAP effective)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            line = next(x for x in f if x.startswith("CapEff:"))
        return bool(int(line.split()[1], 16) >> CAP_SETPCAP & 1)
    except (OSError, StopIteration, ValueError):
        return False


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63


def _confine(account: Account | None, limits: Limits) -> Callable[[], None]:
    """The function run in the forked child before exec (everything it needs is bound here, before fork)."""
    libc = ctypes.CDLL(None, use_errno=True)
    drop_bounding = account is not None and holds_setpcap()
    last_cap = _last_cap()
    rlimits = ((resource.RLIMIT_AS, limits.address_bytes), (resource.RLIMIT_CPU, limits.cpu_s),
               (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_FSIZE, limits.file_bytes),
               (resource.RLIMIT_CORE, 0))

    def confine() -> None:
        for which, value in rlimits:
            resource.setrlimit(which, (value, value))
        os.setpgid(0, 0)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if account is None:
            return
        if drop_bounding:
            for cap in range(last_cap + 1):
                if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                    if ctypes.get_errno() == errno.EINVAL:   # past this kernel's last capability
                        break
                    raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {cap})")
        os.setgroups([])
        os.setgid(account.gid)
        os.setuid(account.uid)

    return confine


def _describe_exit(code: int, limits: Limits) -> str:
    if code >= 0:
        return f"it failed (exit status {code})"
    sig = -code
    name = signal_name(sig)
    hint = {signal.SIGXCPU: f": it used more than {limits.cpu_s} s of CPU",
            signal.SIGXFSZ: f": it wrote a file larger than {limits.file_bytes} bytes",
            signal.SIGKILL: ": killed (out of memory?)"}.get(sig, "")
    return f"it crashed ({name}){hint}"


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


#: Starts the child: given the function to run between fork and exec, returns a started `subprocess.Popen`
#: (or an object with its pid, stdin, stdout, stderr, poll, wait and kill) with pipes on 0, 1 and 2.
Spawn = Callable[[Callable[[], None]], subprocess.Popen]


def exec_child(command: tuple[str, ...] = CHILD_COMMAND) -> Spawn:
    """The real way to start the child: fork, confine, exec a fresh interpreter with a bare environment."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
           "MALLOC_ARENA_MAX": "2"}   # glibc reserves 64 MiB of address space per thread arena: RLIMIT_AS counts it

    def spawn(confine: Callable[[], None]) -> subprocess.Popen:
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd="/", env=env, close_fds=True, preexec_fn=confine)  # noqa: PLW1509

    return spawn


def run_child(job: bytes, account: Account | None, limits: Limits = Limits(), spawn: Spawn | None = None) -> Outcome:
    """Start the child confined (as `account`), give it `job` on stdin, collect its answer.

    Args:
        spawn: how to start it (default `exec_child()`; the tests also fork without exec
            where the service user cannot run this interpreter, e.g. a Python under /root).

    Raises:
        ValueError: root asked to run the child without an account (it would keep root).
    """
    if account is None and os.geteuid() == 0:
        raise ValueError("the stick's checker must not run as root: name the service user")
    try:
        proc = (spawn or exec_child())(_confine(account, limits))
    except (OSError, subprocess.SubprocessError) as exc:
        return Outcome(b"", f"it could not be started: {exc}", "")
    try:
        return _collect(proc, job, limits)
    finally:
        _kill_group(proc.pid)   # nothing it started outlives it
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _collect(proc: subprocess.Popen, job: bytes, limits: Limits) -> Outcome:
    assert proc.stdin and proc.stdout and proc.stderr
    try:
        proc.stdin.write(job)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    answer, err = bytearray(), bytearray()
    deadline = time.monotonic() + limits.timeout_s
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, answer)
        sel.register(proc.stderr, selectors.EVENT_READ, err)
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return Outcome(b"", f"it ran longer than {limits.timeout_s:g} s and was stopped", _tail(err))
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if key.data is err and len(err) > 2 * STDERR_TAIL:
                    del err[:-STDERR_TAIL]
                if len(answer) > limits.answer_bytes:
                    return Outcome(b"", f"it answered more than {limits.answer_bytes} bytes", _tail(err))
    try:
        code = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return Outcome(b"", f"it ran longer than {limits.timeout_s:g} s and was stopped", _tail(err))
    if code != 0:
        return Outcome(b"", _describe_exit(code, limits), _tail(err))
    return Outcome(bytes(answer), None, _tail(err))


def _tail(err: bytearray) -> str:
    return bytes(err[-STDERR_TAIL:]).decode("utf-8", errors="replace")
