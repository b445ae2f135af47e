"""Eight hours of sessions, accelerated: nothing the engine holds grows (open files, threads, memory)."""

from __future__ import annotations

import contextlib
import os
import random
import threading
from pathlib import Path

from player.errors import SessionRefused
from tests.engine.test_engine import Rig

ACTIONS = [("mark", {"text": "BP 120/80"}), ("volume", {"delta_db": 3.0}), ("volume", {"delta_db": -3.0}),
           ("pause", {}), ("resume", {}), ("next", {}), ("extend", {"minutes": 1.0}), ("advance", {}),
           ("resume", {}), ("stop", {})]


def rss_mb() -> float:
    line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def test_an_eight_hour_day_of_sessions_leaves_no_open_files_or_threads_behind(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.engine.start()
    rng = random.Random(8)
    fds, threads, rss = [], [], []
    sessions = 0
    try:
        for _hour in range(8):
            for step in range(3600 // 2):              # 2 s ticks, a control every 30 s of session time
                rig.clock.advance(2.0)
                assert rig.engine.sync(30)
                if step % 15:
                    continue
                if rig.engine.status()["state"] in ("idle", "ended"):
                    rig.start()
                    sessions += 1
                action, args = rng.choice(ACTIONS)
                with contextlib.suppress(SessionRefused):
                    rig.engine.submit(action, source="web", **args)
            fds.append(len(os.listdir("/proc/self/fd")))
            threads.append(threading.active_count())
            rss.append(rss_mb())
    finally:
        rig.engine.close()
    assert sessions >= 5
    assert max(fds[1:]) <= fds[0] and max(threads[1:]) <= threads[0]
    assert rss[-1] - rss[0] < 8.0, rss   # (the simulated output keeps every call it got: a test hook)
