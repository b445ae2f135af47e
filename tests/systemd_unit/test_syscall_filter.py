"""Background work lowers its priority under the service's own system-call filter.

Playback comes first because loudness analysis, the voice scan, the MQTT publisher and
report rendering run at nice 19, SCHED_IDLE and I/O class idle (player/background.py). The
service filters system calls, and systemd's ``@resources`` group holds exactly the calls that
lower a priority; a filter that denies them leaves all of that work at the music's priority
in the field while every test outside systemd passes.

systemd is not PID 1 here, so the test builds the same filter the unit's
``SystemCallFilter=`` lines give (groups expanded by ``systemd-analyze syscall-filter``, lines
combined as systemd.exec(5) says) and loads it with libseccomp into a child Python before it
calls `lower_priority`, then reads what the kernel holds for that child.
"""

from __future__ import annotations

import ctypes.util
import errno
import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "session-player.service"

pytestmark = [
    pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (systemd)"),
    pytest.mark.skipif(ctypes.util.find_library("seccomp") is None, reason="needs libseccomp (comes with systemd)"),
]


@cache
def _group(name: str) -> frozenset[str]:
    """A syscall group, its nested groups expanded."""
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True)
    calls: set[str] = set()
    for line in out.stdout.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        calls |= _group(item) if item.startswith("@") else {item}
    return frozenset(calls)


def _expand(items: list[str]) -> set[str]:
    return set().union(*(_group(i) if i.startswith("@") else {i} for i in items))


def unit_filter(text: str) -> tuple[bool, set[str], int]:
    """(allow-list?, the calls listed, errno) from a unit's SystemCallFilter= lines (systemd.exec(5)).

    The first line's kind sets the default; a later line of the same kind adds its calls to
    the set, one of the other kind takes them out.
    """
    allow_list: bool | None = None
    calls: set[str] = set()
    number = errno.EPERM
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "SystemCallErrorNumber":
            number = getattr(errno, value.strip())
        if key != "SystemCallFilter":
            continue
        deny = value.startswith("~")
        listed = _expand(value.lstrip("~").split())
        if allow_list is None:
            allow_list = not deny
        calls = calls | listed if deny != allow_list else calls - listed
    assert allow_list is not None, "the unit has no SystemCallFilter="
    return allow_list, calls, number


CHILD = r"""
import ctypes, json, os, sys
allow_list, calls, number = json.loads(sys.argv[1])
lib = ctypes.CDLL(sys.argv[2], use_errno=True)
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
ALLOW, ERRNO = 0x7FFF0000, 0x00050000 | number
ctx = lib.seccomp_init(ERRNO if allow_list else ALLOW)
for name in calls:
    nr = lib.seccomp_syscall_resolve_name(name.encode())
    if nr >= 0:                             # a call this architecture does not have: nothing to filter
        assert lib.seccomp_rule_add(ctx, ALLOW if allow_list else ERRNO, nr, 0) == 0, name
assert lib.seccomp_load(ctx) == 0
import subprocess, time
from pathlib import Path
from player.background import DutyCycle, io_class, lower_priority
failed = lower_priority()
held = subprocess.Popen(["sleep", "30"])
with DutyCycle(held.pid, 0.01):               # holding ffmpeg to its share signals it (SIGSTOP, SIGCONT)
    for _ in range(600):                      # a signal lands asynchronously
        stopped = Path(f"/proc/{held.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
        if stopped:
            break
        time.sleep(0.005)
held.kill()
held.wait()
print(json.dumps({"failed": failed, "nice": os.getpriority(os.PRIO_PROCESS, 0),
                  "idle_policy": os.sched_getscheduler(0) == os.SCHED_IDLE, "io_class": io_class(),
                  "held": stopped}))
"""


def lowered_under(unit_text: str) -> dict:
    allow_list, calls, number = unit_filter(unit_text)
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([allow_list, sorted(calls), number]),
                          ctypes.util.find_library("seccomp")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_filter_is_read_as_systemd_reads_it() -> None:
    allow_list, calls, _ = unit_filter("SystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\n")
    assert allow_list and "read" in calls and "setpriority" not in calls and "mount" not in calls
    allow_list, calls, _ = unit_filter("SystemCallFilter=~@resources\nSystemCallFilter=setpriority\n")
    assert not allow_list and "ioprio_set" in calls and "setpriority" not in calls


def test_a_filter_that_denies_resources_leaves_background_work_at_the_musics_priority() -> None:
    """The failure as the field had it: the unit's filter before this fix."""
    got = lowered_under("SystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\n"
                        "SystemCallErrorNumber=EPERM\n")
    assert got["nice"] == 0 and not got["idle_policy"] and got["io_class"] != 3
    assert len(got["failed"]) == 3


def test_under_the_shipped_units_filter_background_work_runs_at_the_lowest_priority() -> None:
    got = lowered_under(UNIT.read_text())
    assert got == {"failed": [], "nice": 19, "idle_policy": True, "io_class": 3, "held": True}


def test_the_unit_gives_back_only_the_calls_that_lower_a_priority() -> None:
    """Raising a priority needs CAP_SYS_NICE (the unit has no capabilities) and real-time is
    refused by RestrictRealtime=; the rest of @resources (affinity, memory policy, limits) stays denied."""
    _, calls, _ = unit_filter(UNIT.read_text())
    assert _group("@resources") & calls == {"setpriority", "sched_setscheduler", "sched_setattr", "ioprio_set"}
    text = UNIT.read_text()
    assert "RestrictRealtime=yes" in text and "CapabilityBoundingSet=\n" in text
