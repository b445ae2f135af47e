#!/usr/bin/env python3
"""Loudness analysis: speed (x real time) and agreement with a plain `ffmpeg -af ebur128` run.

Our analyzer adds true-peak measurement, tag reading, hashing and the cache around ffmpeg's
ebur128; this checks what that costs and that the figures match the reference (goal: within
0.5 LU), on pink noise mastered at different levels, plus a second (cached) lookup.
Run: .venv/bin/python bench/analyze_speed.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.audio.loudness import LoudnessLookup  # noqa: E402
from player.config import LoudnessConfig  # noqa: E402
from tests.audio.signals import pink_noise, sine  # noqa: E402

SECONDS = 120.0


def reference(path: Path) -> float:
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    return float(re.findall(r"I:\s*(-?[\d.]+) LUFS", err)[-1])


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    files = [pink_noise(tmp / f"pink{lvl}.flac", SECONDS, lvl, seed=i) for i, lvl in enumerate((-14, -23, -32))]
    files.append(sine(tmp / "sine.flac", SECONDS, amplitude=0.25))
    lookup = LoudnessLookup(LoudnessConfig(), tmp / "cache.json")
    rows, ours_t, ref_t, cached_t = [], 0.0, 0.0, 0.0
    for f in files:
        t = time.perf_counter()
        ours = lookup.analyze(f)
        ours_t += time.perf_counter() - t
        t = time.perf_counter()
        ref = reference(f)
        ref_t += time.perf_counter() - t
        t = time.perf_counter()
        lookup.analyze(f)
        cached_t += time.perf_counter() - t
        rows.append((f.name, ours.loudness_lufs, ref, ours.peak_db, ours.gain_db))
    total = SECONDS * len(files)
    print("file            ours LUFS   ffmpeg LUFS   diff LU   true peak dBTP   gain dB")
    for name, ours, ref, peak, gain in rows:
        print(f"{name:15s} {ours:9.1f} {ref:12.1f} {ours - ref:9.2f} {peak:14.1f} {gain:+9.1f}")
    print(f"max |diff| {max(abs(o - r) for _, o, r, _, _ in rows):.2f} LU (goal <= 0.5)")
    print(f"first analysis: {ours_t:.2f} s for {total:.0f} s of audio = {total / ours_t:.0f}x real time "
          f"(plain ebur128 without true peak: {total / ref_t:.0f}x)")
    print(f"cached lookup (hash + cache): {cached_t / len(files) * 1000:.0f} ms per {SECONDS:.0f} s file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
