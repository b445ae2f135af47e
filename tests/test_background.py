"""Background work yields to the music: priorities (real threads and processes), pacing, the quiet flag."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from player.background import (
    IOPRIO_CLASS_IDLE,
    NICE,
    DutyCycle,
    Foreground,
    Pacer,
    _cgroup_quota,
    io_class,
    lower_priority,
    pace_sleep_s,
    spawn_lowered,
)
from player.clock import FakeClock

WAIT = 30.0


def on_thread(fn):
    """Run `fn` on a fresh thread (so the test's own thread keeps its priority); its result."""
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=fn()))
    thread.start()
    thread.join(WAIT)
    return box["result"]


def priorities(tid: int) -> tuple[int, int, int]:
    return os.getpriority(os.PRIO_PROCESS, tid), os.sched_getscheduler(tid), io_class(tid)


def test_lowered_thread_is_nice_19_sched_idle_io_idle_and_others_keep_theirs():
    before = priorities(threading.get_native_id())

    def lower():
        failed = lower_priority()
        return failed, priorities(threading.get_native_id())

    failed, after = on_thread(lower)
    assert failed == []
    assert after == (NICE, os.SCHED_IDLE, IOPRIO_CLASS_IDLE)
    assert priorities(threading.get_native_id()) == before      # only the calling OS thread


def test_a_python_worker_keeps_sched_other_but_is_nice_19_and_io_idle():
    failed, after = on_thread(lambda: (lower_priority(idle_policy=False), priorities(threading.get_native_id())))
    assert failed == []
    assert after == (NICE, os.SCHED_OTHER, IOPRIO_CLASS_IDLE)


def test_a_child_spawned_lowered_inherits_all_three_and_the_caller_keeps_its_own():
    before = priorities(threading.get_native_id())
    proc = spawn_lowered(lambda: subprocess.Popen(["sleep", "30"]))
    try:
        assert priorities(proc.pid) == (NICE, os.SCHED_IDLE, IOPRIO_CLASS_IDLE)
    finally:
        proc.kill()
        proc.wait()
    assert priorities(threading.get_native_id()) == before


def test_spawn_lowered_raises_the_starters_error_on_the_caller():
    with pytest.raises(FileNotFoundError):
        spawn_lowered(lambda: subprocess.Popen(["/nonexistent/ffmpeg"]))


def test_foreground_is_busy_until_the_last_asked_moment():
    clock = FakeClock()
    fg = Foreground(clock.monotonic)
    assert not fg.busy()
    fg.busy_for(3.0)
    fg.busy_for(1.0)          # a shorter request does not shorten the busy time
    clock.advance(2.0)
    assert fg.busy()
    clock.advance(1.0)
    assert not fg.busy()


def test_wait_quiet_returns_when_the_flag_clears_and_gives_up_after_its_limit():
    clock = FakeClock()
    fg = Foreground(clock.monotonic)
    fg.busy_for(10.0)
    assert fg.wait_quiet(0.01) is False          # still busy: gives up, the caller goes on
    returned, result = threading.Event(), {}

    def waiter():
        result["quiet"] = fg.wait_quiet(WAIT)
        returned.set()

    threading.Thread(target=waiter, daemon=True).start()
    clock.advance(10.0)
    fg.busy_for(0.0)                              # any signal wakes the waiter to look again
    assert returned.wait(WAIT) and result["quiet"] is True


def test_pacer_holds_nothing_without_a_quota_and_its_share_of_one():
    assert Pacer((2.0, False)).fraction() is None
    assert Pacer((0.05, True), share=0.25).fraction() == pytest.approx(0.0125)   # 1.25 ms of every 100 ms
    assert Pacer((8.0, True), share=0.25).fraction() == 1.0                      # never more than all of it


def _busy_child() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _becomes(pid: int, states: str) -> bool:
    """Whether process `pid` reaches one of `states` (a signal lands asynchronously)."""
    for _ in range(600):
        if _state(pid) in states:
            return True
        threading.Event().wait(0.005)
    return False


def _cpu_s(pid: int) -> float:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def test_a_duty_cycle_holds_a_busy_child_to_its_fraction_from_its_first_moment():
    """ffmpeg's -readrate left its start-up and its catching up unheld: whole quota periods spent at once."""
    child = _busy_child()
    try:
        with DutyCycle(child.pid, 0.05):
            assert _becomes(child.pid, "T")              # stopped before it could spend much
            start = _cpu_s(child.pid)
            threading.Event().wait(2.0)
            used = _cpu_s(child.pid) - start
        assert 0.0 < used < 0.5                          # ran, at 5 % of 2 s (0.1 s); unheld it would take 2 s
        assert _becomes(child.pid, "RS")                 # left running: it can exit or be killed
    finally:
        child.kill()
        child.wait()


def test_a_duty_cycle_holds_its_fraction_while_another_thread_holds_the_gil():
    """The stop is sent by a Python thread: beside a busy thread it waited for the GIL (5 ms switch
    interval), and a child held to 1.25 % took 5.9 % of a core; what a late stop lets it take is paid back."""
    spinning = threading.Event()

    def spin() -> None:
        while not spinning.is_set():
            pass

    child = _busy_child()
    spinner = threading.Thread(target=spin, daemon=True)
    try:
        with DutyCycle(child.pid, 0.0125):
            assert _becomes(child.pid, "T")
            spinner.start()
            start = _cpu_s(child.pid)
            threading.Event().wait(4.0)
            used = _cpu_s(child.pid) - start
        assert 0.0 < used < 0.1                          # 1.25 % of 4 s is 0.05 s; unpaid back it took ~0.24 s
    finally:
        spinning.set()
        child.kill()
        child.wait()


def test_a_duty_cycle_outlives_its_child_quietly():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    with DutyCycle(child.pid, 0.5, period_s=0.02):
        child.wait()                                     # reaped inside: the signals find no process
    assert child.returncode == 0


def test_pause_keeps_work_to_its_share():
    assert pace_sleep_s(0.001, 0.0125) == pytest.approx(0.079)
    assert pace_sleep_s(0.001, 1.0) == 0.0


def test_cgroup_v1_quota_is_read_up_the_tree(tmp_path: Path):
    leaf = tmp_path / "cpu,cpuacct" / "system.slice" / "player.service"
    leaf.mkdir(parents=True)
    (leaf / "cpu.cfs_quota_us").write_text("-1\n")
    (leaf / "cpu.cfs_period_us").write_text("100000\n")
    (leaf.parent / "cpu.cfs_quota_us").write_text("5000\n")
    (leaf.parent / "cpu.cfs_period_us").write_text("100000\n")
    text = "12:cpu,cpuacct:/system.slice/player.service\n3:memory:/system.slice\n"
    assert _cgroup_quota(text, tmp_path) == pytest.approx(0.05)


def test_cgroup_v2_quota_and_none(tmp_path: Path):
    leaf = tmp_path / "system.slice" / "player.service"
    leaf.mkdir(parents=True)
    (leaf / "cpu.max").write_text("20000 100000\n")
    (leaf.parent / "cpu.max").write_text("max 100000\n")
    assert _cgroup_quota("0::/system.slice/player.service\n", tmp_path) == pytest.approx(0.2)
    (leaf / "cpu.max").write_text("max 100000\n")
    assert _cgroup_quota("0::/system.slice/player.service\n", tmp_path) is None


V1_CPU = Path("/sys/fs/cgroup/cpu")


@pytest.mark.skipif(os.geteuid() != 0 or not (V1_CPU / "cpu.cfs_quota_us").exists(),
                    reason="needs root and the cgroup v1 cpu controller")
def test_a_process_in_a_real_cgroup_quota_sees_its_budget():
    group = V1_CPU / f"session-player-test-{os.getpid()}"
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text("5000")
        code = "from player.background import cpu_budget; print(*cpu_budget())"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=WAIT,
                             preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())))
        assert out.stdout.split() == ["0.05", "True"]
    finally:
        group.rmdir()


def test_a_duty_cycle_kills_its_child_once_cancelled():
    """A held ffmpeg may print nothing for seconds (its start-up alone is 70 ms of CPU, 5.6 s at
    1.25 %); an urgent deck or a stop must not wait for its next line."""
    child = _busy_child()
    cancel = threading.Event()
    try:
        with DutyCycle(child.pid, 0.01, cancel=cancel):
            cancel.set()
            child.wait(WAIT)
        assert child.returncode == -9
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_duty_cycle_keeps_its_child_stopped_while_the_audio_path_is_busy():
    """Work already started yields to a deck loading, pre-rolling or fading, not only work not yet begun."""
    child = _busy_child()
    busy = threading.Event()
    busy.set()
    try:
        with DutyCycle(child.pid, 0.5, period_s=0.02, pause_while=busy.is_set):
            assert _becomes(child.pid, "T")
            start = _cpu_s(child.pid)
            threading.Event().wait(0.5)
            assert _cpu_s(child.pid) == start              # 25 periods: no slice while busy
            busy.clear()
            threading.Event().wait(0.5)
            assert _cpu_s(child.pid) > start               # quiet again: it runs its slices
    finally:
        child.kill()
        child.wait()
