#!/usr/bin/env python3
"""Voice scan speed: x real time and seconds per hour of music, against the loudness measurement.

Makes 10 minutes of test music (a sox pad with an espeak-ng voice-over, as the tests do),
then times, on the same FLAC, best of three runs each:
  - decode only: ffmpeg to 16 kHz mono float (what the scan reads), the floor;
  - the voice scan: decode + Silero VAD in onnxruntime on one thread (`scan_file`);
  - the loudness measurement: ffmpeg ebur128 with true peak (`loudness.measure`), the baseline
    the player already runs on every file, measured in the same run.
A Raspberry Pi 4 (Cortex-A72, 1.5 GHz) estimate divides by the factor given with --pi-factor
(default 4: docs/audio.md's estimate of 3-4x slower than this machine's x86 core, taken at the
slow end; onnxruntime's aarch64 kernels are NEON-vectorized like its x86 SSE/AVX ones).
Run: .venv/bin/python bench/voice.py [--pi-factor 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.audio.loudness import measure  # noqa: E402
from player.audio.voice import VoiceModel, scan_file  # noqa: E402
from tests.support import voice_material as material  # noqa: E402

SECONDS = 600.0
RUNS = 3


def best_of(run) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def decode_only(path: Path) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-ac", "1", "-ar", "16000",
                    "-f", "f32le", "-"], stdout=subprocess.DEVNULL, check=True)


def model_only(path: Path, model: VoiceModel) -> float:
    """Seconds the model alone takes over the whole file, decoded beforehand."""
    import numpy as np

    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-ac", "1", "-ar", "16000",
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    samples = np.frombuffer(raw, dtype=np.float32)
    block = 512 * 512

    def run() -> None:
        stream = model.stream()
        for i in range(0, samples.size, block):
            stream.feed(samples[i:i + block])
    return best_of(run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pi-factor", type=float, default=4.0, help="how many times slower a Pi 4 core is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip, _ = material.speech_over_pad(folder, "clip", at_s=20.0, gain_db=-6, seconds=60.0)
        music = folder / "ten-minutes.flac"
        subprocess.run(["sox", *[str(clip)] * int(SECONDS / 60), str(music)], check=True)
        model = VoiceModel()
        found = scan_file(music, model)
        decode_s = best_of(lambda: decode_only(music))
        scan_s = best_of(lambda: scan_file(music, model))
        loud_s = best_of(lambda: measure(music))
        model_s = model_only(music, model)
    load = os.getloadavg()[0]
    print(f"10 minutes of 44.1 kHz stereo FLAC (a pad with a voice-over each minute); load average {load:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"found: {len(found.ranges)} voice ranges (expected 10): {found.describe()[:80]}...")
    rows = (("decode only (ffmpeg -> 16 kHz mono)", decode_s), ("model only (Silero VAD, 1 thread)", model_s),
            ("voice scan (decode + model)", scan_s), ("loudness (ffmpeg ebur128, true peak)", loud_s))
    for name, seconds in rows:
        print(f"  {name:38s} {seconds:6.2f} s  {SECONDS / seconds:6.0f}x real time  "
              f"{seconds * 3600 / SECONDS:6.1f} s per hour of music")
    print(f"voice scan / loudness on the same file: {scan_s / loud_s:.2f}x the time")
    pi = scan_s * args.pi_factor
    print(f"Raspberry Pi 4 estimate (x{args.pi_factor:g} slower, not measured): {SECONDS / pi:.0f}x real time, "
          f"{pi * 3600 / SECONDS:.0f} s per hour of music")
    return 0


if __name__ == "__main__":
    sys.exit(main())
