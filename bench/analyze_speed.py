#!/usr/bin/env python3
"""Loudness analysis: agreement with an independent meter and with EBU Tech 3341, and speed.

Agreement: our analyzer (ffmpeg's ebur128 behind tags, hashing and the cache) against
pyloudnorm, an independent BS.1770-4 implementation in numpy/scipy, run on the same audio
as soundfile decodes it (goal: within 0.5 LU; pink noise mastered at different levels and
a sine), and against the readings EBU Tech 3341 prescribes for the signals we can
synthesize (cases 1-5, +-0.1 LU). Speed: x real time of the first analysis (a sample-peak
pass, and a true-peak pass only where the peak could change the gain), against a plain
``ffmpeg -af ebur128`` run without true peak on the same files (the baseline) and against a
single ``ebur128=peak=true`` pass (the analysis before it measured only what it needs), and
the cached second lookup; with seconds per hour of music estimated for a Pi 4 and a Pi Zero 2 W
from per-core slowdown factors (`--pi4-slower`, `--zero2-slower`: estimates, not measured).
Run: .venv/bin/python bench/analyze_speed.py
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyloudnorm
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.audio.loudness import LoudnessLookup  # noqa: E402
from player.config import LoudnessConfig  # noqa: E402
from tests.audio.signals import pink_noise, sine  # noqa: E402
from tests.support.ebu3341 import CASES, write_case  # noqa: E402

SECONDS = 120.0


def clicks(path: Path) -> Path:
    """`path` with a loud click every 10 s: a quiet track whose peak, not its loudness, sets the gain."""
    data, rate = sf.read(path)
    data[:: rate * 10] = 0.7
    sf.write(path, data, rate)
    return path


def independent(path: Path) -> float:
    """pyloudnorm's integrated loudness of the decoded samples."""
    data, rate = sf.read(path, dtype="float64")
    return pyloudnorm.Meter(rate).integrated_loudness(data)


def cpu_s() -> float:
    """CPU seconds of this process and its finished children: what a CPU budget pays (wall time
    on a shared machine says more about the neighbours)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def plain_ebur128_s(path: Path, af: str = "ebur128") -> float:
    """CPU seconds a plain ``ffmpeg -af ebur128`` (no true peak, no tags, no cache) takes on `path`."""
    t = cpu_s()
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-af", af,
                    "-f", "null", "-"], capture_output=True, check=True)
    return cpu_s() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pi4-slower", type=float, default=4.0, help="Pi 4 core vs this one (estimate, default 4)")
    ap.add_argument("--zero2-slower", type=float, default=10.0,
                    help="Pi Zero 2 W / Pi 3 core vs this one (estimate, default 10)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    files = [pink_noise(tmp / f"pink{lvl}.flac", SECONDS, lvl, seed=i) for i, lvl in enumerate((-14, -23, -32))]
    files.append(sine(tmp / "sine.flac", SECONDS, amplitude=0.25))
    files.append(clicks(pink_noise(tmp / "quiet-clicks.flac", SECONDS, -32, seed=9)))   # its peak bounds its gain
    lookup = LoudnessLookup(LoudnessConfig(), tmp / "cache.json")
    rows, ours_t, ref_t, full_t, cached_t = [], 0.0, 0.0, 0.0, 0.0
    for f in files:
        t = cpu_s()
        ours = lookup.analyze(f)
        ours_t += cpu_s() - t
        ref_t += plain_ebur128_s(f)
        full_t += plain_ebur128_s(f, "ebur128=peak=true")
        t = cpu_s()
        lookup.analyze(f)
        cached_t += cpu_s() - t
        rows.append((f.name, ours.loudness_lufs, independent(f), ours.peak_db, ours.gain_db, ours.peak_kind))
    total = SECONDS * len(files)
    print("file              ours LUFS   pyloudnorm LUFS   diff LU   peak dB (kind)   gain dB")
    for name, ours, ref, peak, gain, kind in rows:
        print(f"{name:17s} {ours:9.2f} {ref:17.2f} {ours - ref:9.2f} {peak:7.1f} ({kind:6s}) {gain:+9.1f}")
    print(f"max |diff| vs pyloudnorm {max(abs(o - r) for _, o, r, _, _, _ in rows):.2f} LU (goal <= 0.5)")
    print("EBU Tech 3341 case              expected   ours      pyloudnorm   (tolerance +-0.1 LU)")
    worst = 0.0
    for case in CASES:
        path = write_case(tmp / "case.flac", case)
        ours, ref = lookup.analyze(path).loudness_lufs, independent(path)
        worst = max(worst, abs(ours - case.expected_lufs))
        print(f"{case.name:31s} {case.expected_lufs:8.1f} {ours:8.2f} {ref:10.2f}")
    print(f"max |ours - expected| {worst:.2f} LU over {len(CASES)} cases")
    print(f"first analysis: {ours_t:.2f} CPU s for {total:.0f} s of audio = {total / ours_t:.0f}x real time "
          f"(baseline, plain ebur128 without true peak on the same files: {total / ref_t:.0f}x; "
          f"ratio {ours_t / ref_t:.2f}x the time; a single true-peak pass: {total / full_t:.0f}x, "
          f"{full_t / ref_t:.2f}x the time)")
    per_hour = ours_t / total * 3600
    print(f"seconds of analysis per hour of music (one core, unpaced): here {per_hour:.0f} s; estimated "
          f"Pi 4 {per_hour * a.pi4_slower:.0f} s, Pi Zero 2 W / Pi 3 {per_hour * a.zero2_slower:.0f} s "
          f"(per-core slowdown {a.pi4_slower:g}x and {a.zero2_slower:g}x: estimates)")
    print(f"cached lookup (hash + cache): {cached_t / len(files) * 1000:.0f} ms CPU per {SECONDS:.0f} s file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
