#!/usr/bin/env python3
"""An 8-hour session day, accelerated: does anything grow (memory, open files, threads)?

The real engine and mixer on the simulated output and a fake clock, a real data dir with
fsync'd logs: sessions start and end back to back for `--hours` of session time, and every
few seconds of it staff do something (marks, volume, pause/resume, skips, extensions,
advances, refusals). RSS, open file descriptors and threads are read every hour; the
baseline is the first hour's figures, measured in the same run.

Run: .venv/bin/python bench/soak.py [--hours 8] [--step 0.5] [--every 6]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--step", type=float, default=0.5, help="seconds of session time per engine tick")
    ap.add_argument("--every", type=float, default=6.0, help="seconds of session time between staff controls")
    a = ap.parse_args()
    from player.errors import SessionRefused
    from tests.engine.test_engine import Rig

    rig = Rig(Path(tempfile.mkdtemp(prefix="soak-")))
    rig.engine.start()
    rng = random.Random(8)
    actions = [("mark", {"text": "BP 120/80"}), ("volume", {"delta_db": 3.0}), ("volume", {"delta_db": -3.0}),
               ("pause", {}), ("resume", {}), ("next", {}), ("extend", {"minutes": 1.0}), ("advance", {}),
               ("resume", {}), ("stop", {})]
    controls = refused = sessions = 0
    rows = []
    started = time.perf_counter()
    steps_per_hour = int(3600 / a.step)
    every = max(1, int(a.every / a.step))
    try:
        for hour in range(int(a.hours)):
            for step in range(steps_per_hour):
                rig.clock.advance(a.step)
                assert rig.engine.sync(30), "the engine stopped answering"
                if step % every:
                    continue
                if rig.engine.status()["state"] in ("idle", "ended"):
                    rig.start()
                    sessions += 1
                action, args = rng.choice(actions)
                controls += 1
                try:
                    rig.engine.submit(action, source="web", **args)
                except SessionRefused:
                    refused += 1
            rows.append((hour + 1, rss_mb(), open_fds(), threading.active_count()))
            print(f"hour {hour + 1}: RSS {rows[-1][1]:.1f} MB, {rows[-1][2]} open fds, {rows[-1][3]} threads, "
                  f"{controls} controls ({refused} refused), {sessions} sessions", flush=True)
    finally:
        rig.engine.close()
    wall = time.perf_counter() - started
    first, last = rows[0], rows[-1]
    print(f"{a.hours:g} h of session time in {wall:.0f} s: {controls} controls, {sessions} sessions")
    print(f"RSS {first[1]:.1f} -> {last[1]:.1f} MB ({last[1] - first[1]:+.1f} MB after hour 1), "
          f"open fds {first[2]} -> {last[2]}, threads {first[3]} -> {last[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
