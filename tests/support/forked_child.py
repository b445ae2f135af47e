"""Start the USB import's checker (or a fake one) by fork without exec, confined the same way.

`player.usb.sandbox.exec_child` execs a fresh interpreter as the service user. Where that
user cannot run the interpreter the tests run under (a pyenv Python under /root, which is
0700), the tests fork instead: the same `_confine` function runs in the forked child (limits,
process group, no_new_privs, bounding set, setgroups/setgid/setuid), then `target` runs there
with pipes on 0, 1 and 2. It is still a real separate process with its own credentials;
only the interpreter is not fresh. `service_user_can_exec` says which case applies.

A forked child carries the whole pytest process's address space (1.7 GB late in a full run),
which an exec'd child does not: under the 1 GiB RLIMIT_AS it could not even start a thread
(the copier's pool hung in ``Thread.start``). So here, and only here, the address-space limit
is raised by what the child already holds at the fork: it still bounds what the child allocates.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable

from tests.support.privileges import UNPRIVILEGED_USER, is_root, run_unprivileged


def _address_space_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmSize:"))
    return int(kib) * 1024


def _carry_own_address_space() -> None:
    """In the forked child only: RLIMIT_AS set by `confine` counts on top of what the fork inherited."""
    own, setrlimit = _address_space_bytes(), resource.setrlimit

    def setrlimit_carrying(which: int, limits: tuple[int, int]) -> None:
        if which == resource.RLIMIT_AS:
            limits = tuple(v if v == resource.RLIM_INFINITY else v + own for v in limits)
        setrlimit(which, limits)

    resource.setrlimit = setrlimit_carrying


class Forked:
    """The parts of `subprocess.Popen` that `sandbox.run_child` uses, for a forked child."""

    def __init__(self, target: Callable[[], int], confine: Callable[[], None]) -> None:
        r0, w0 = os.pipe()
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 70
            try:
                os.dup2(r0, 0)
                os.dup2(w1, 1)
                os.dup2(w2, 2)
                os.closerange(3, 65536)
                os.chdir("/")
                _carry_own_address_space()
                confine()
                code = target()
            except BaseException:  # noqa: BLE001 - told to the parent on stderr, as a real child would
                os.write(2, traceback.format_exc().encode())
            finally:
                os._exit(code)
        for fd in (r0, w1, w2):
            os.close(fd)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = open(w0, "wb", buffering=0)  # noqa: SIM115
        self.stdout = open(r1, "rb", buffering=0)  # noqa: SIM115
        self.stderr = open(r2, "rb", buffering=0)  # noqa: SIM115

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked child", timeout or 0)
            time.sleep(0.01)
        for f in (self.stdin, self.stdout, self.stderr):
            f.close()
        return self.returncode  # type: ignore[return-value]

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, 9)


def fork_child(target: Callable[[], int]) -> Callable[[Callable[[], None]], Forked]:
    """A `sandbox.Spawn` that forks and runs `target` (e.g. `player.usb.child.main`) confined."""
    return lambda confine: Forked(target, confine)


def service_user_can_exec(user: str = UNPRIVILEGED_USER) -> bool:
    """Whether `user` can run this interpreter (not when it lives under a 0700 /root)."""
    if not is_root():
        return True
    exe = sys.executable
    return run_unprivileged(lambda: os.access(exe, os.X_OK) and os.access(os.path.realpath(exe), os.X_OK), user)
