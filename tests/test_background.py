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


def test_pacer_unpaced_without_quota_and_before_the_first_cost():
    assert Pacer((2.0, False)).speed() is None
    paced = Pacer((0.05, True), share=0.25)
    assert paced.speed() is None                  # first job: learn what it costs
    paced.learn(cpu_s=1.0, audio_s=400.0)         # 400x real time on a whole core
    assert paced.speed() == pytest.approx(5.0)    # 25 % of 5 % of a core: 5x real time
    paced.learn(cpu_s=1.0, audio_s=10000.0)
    assert paced.speed() == pytest.approx(0.0125 / ((0.0025 + 0.0001) / 2), abs=0.1)


def test_pacer_never_below_real_time_and_ignores_tiny_jobs():
    paced = Pacer((0.01, True))
    paced.learn(cpu_s=0.5, audio_s=0.5)           # too short to tell
    assert paced.speed() is None
    paced.learn(cpu_s=10.0, audio_s=100.0)
    assert paced.speed() == Pacer.MIN_SPEED


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
