"""Benchmark of the daemon under the fd-exhaustion attack (issue 15, case 1): figures, no pass/fail.

Runs `session-player run` (simulated audio, real files and sockets) under RLIMIT_NOFILE
256 and plays 6 s tracks, twice in the same run: without a flood (the baseline) and with
a flood holding 356 half-sent requests from 20 source addresses, reopening each one the
server closes. Prints control-socket latency (status, mark), tracks started and skipped,
the daemon's peak fd count and how much its log grew.

    .venv/bin/python bench/web_fd_attack.py [--seconds 15] [--connections 356]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.web.test_fd_attack import FD_LIMIT, run_attack  # noqa: E402 - after the path fix


def _ms(values: list[float]) -> str:
    if not values:
        return "none answered"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms ({len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=FD_LIMIT + 100)
    args = parser.parse_args()
    for label, count in (("baseline, no flood", 0), (f"flood of {args.connections}", args.connections)):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_attack(Path(tmp), attack_s=args.seconds, connections=count)
        print(f"{label}: fd limit {FD_LIMIT}, {args.seconds:g} s")
        print(f"  status  {_ms(r.status_ms)}")
        print(f"  mark    {_ms(r.mark_ms)}")
        print(f"  failed controls {len(r.failures)}; states seen {sorted(set(r.states))}")
        print(f"  tracks started {r.tracks_started}, skipped {r.tracks_skipped}")
        print(f"  daemon fds peak {r.daemon_fds_max}; log grew {r.log_growth_bytes} bytes")
        print(f"  flood: opened {r.opened}, closed by the server {r.closed_by_server}, "
              f"held at most {r.held_max} (client side); page after: HTTP {r.http_after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
