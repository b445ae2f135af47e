"""Who the tests run as, and running a check as an unprivileged user even under root.

CI and the developers' machines run the suite as root; a clinic's player runs as its own
unprivileged user. A test of "this file cannot be read" must therefore run in both cases,
so as root it drops to ``nobody`` in a forked child (root reads files regardless of their
permissions). Tests that need root (device nodes, loop mounts, chown) skip with a reason
when not root, and `header_lines` tells pytest's header which of them run, so a green run
says what it covered.
"""

from __future__ import annotations

import os
import pickle
import pwd
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
UNPRIVILEGED_USER = "nobody"


def is_root() -> bool:
    return os.geteuid() == 0


def loop_mounts() -> tuple[bool, str]:
    """(usable, why not): loop devices need root, losetup and the kernel's loop driver."""
    if not is_root():
        return False, "not root"
    if not shutil.which("losetup"):
        return False, "losetup missing"
    if not Path("/dev/loop-control").exists():
        return False, "no /dev/loop-control (loop driver)"
    return True, ""


def run_unprivileged(fn: Callable[[], T], user: str = UNPRIVILEGED_USER) -> T:
    """`fn()` as an unprivileged user: directly when not root, else in a child that became `user`.

    The child forks from the test process (so nothing is re-imported), drops its groups, gid
    and uid for good, runs `fn` and sends back its result (pickled) or its exception's repr.
    Files `fn` reads must be reachable by `user` (tmp_path is not: /tmp/pytest-of-root is 0700).

    Raises:
        AssertionError: `fn` raised in the child (its repr is the message).
    """
    if not is_root():
        return fn()
    account = pwd.getpwnam(user)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
            try:
                payload = pickle.dumps((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                payload = pickle.dumps((False, repr(exc)))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and data, f"the {user} child failed ({status})"
    ok, value = pickle.loads(data)
    assert ok, f"as {user}: {value}"
    return value


def header_lines() -> list[str]:
    """What pytest prints under its header: the user, and which privileged tests run."""
    account = pwd.getpwuid(os.geteuid()).pw_name
    lines = [f"user: {account} (uid {os.geteuid()}, gid {os.getegid()})"]
    if is_root():
        loop, why = loop_mounts()
        lines.append("privileged tests: run (device nodes, chown to the data dir's owner); loop-mount tests: "
                     + ("run" if loop else f"skip ({why})"))
        lines.append(f"unreadable-file tests: run as {UNPRIVILEGED_USER} (dropped in a forked child)")
    else:
        lines.append("privileged tests: skip (device nodes, chown, loop mounts need root); "
                     "unreadable-file tests: run as this user")
    return lines
