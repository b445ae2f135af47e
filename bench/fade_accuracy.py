#!/usr/bin/env python3
"""Captured fade-in, fade-out and crossfade vs the ideal curves: max/RMS error (dB), largest step.

Plays through real libVLC into a private virtual sound card (PulseAudio null sink) and
measures the samples. Run: .venv/bin/python bench/fade_accuracy.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.playlist.model import Track  # noqa: E402
from tests.audio.real_rig import RealRig  # noqa: E402
from tests.audio.signals import sine  # noqa: E402
from tests.support.audio_sink import AudioSink, envelope  # noqa: E402

SINE_RMS = -9.03


def ramp_errors(env, start_db, end_db, fade_s, offset_db, lo_db=-35):
    gain = env.rms_db - offset_db
    slope = (end_db - start_db) / fade_s
    hi, lo = max(start_db, end_db), min(start_db, end_db)
    mid = np.nonzero((gain > max(lo_db, lo) + 2) & (gain < hi - 2))[0]
    t0 = float(np.median(env.t[mid] - (gain[mid] - start_db) / slope))
    ideal = start_db + slope * (env.t - t0)
    window = (ideal > max(lo_db, lo)) & (ideal < hi) & (env.t > t0) & (env.t < t0 + fade_s)
    err = gain[window] - ideal[window]
    return float(np.max(np.abs(err))), float(np.sqrt(np.mean(err * err))), float(np.max(np.abs(np.diff(gain[window]))))


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    sink = AudioSink()
    os.environ["PULSE_SERVER"] = sink.start()
    try:
        rig = RealRig({"volume": {"start_db": -20, "default_db": -20, "max_db": -6}})
        tone = Track(sine(tmp / "tone.flac", 30.0), duration_s=30.0)
        rec = sink.record()
        rig.mixer.play(tone, fade_in_s=10.0)
        rig.run(13.0)
        rig.mixer.stop(fade_s=5.0)
        rig.run(6.0)
        env = envelope(rec.stop())
        fin = ramp_errors(env, -60, -20, 10.0, SINE_RMS)
        peak_t = int(np.argmax(env.rms_db))
        tail = envelope.__globals__["Envelope"](env.t[peak_t:], env.rms_db[peak_t:], env.peak_db[peak_t:])
        fout = ramp_errors(tail, -20, -60, 5.0, SINE_RMS)
        rig.close()

        rig = RealRig({"volume": {"start_db": -12, "default_db": -12}})
        a = Track(sine(tmp / "a.flac", 30.0, freq=440), duration_s=30.0)   # powers of two pitches add
        b = Track(sine(tmp / "b.flac", 30.0, freq=660), duration_s=30.0)
        rec = sink.record()
        rig.mixer.play(a, fade_in_s=0.5)
        rig.run(5.0)
        rig.mixer.crossfade_to(b, crossfade_s=8.0)
        rig.run(12.0)
        env = envelope(rec.stop(), window_ms=50)
        on = np.nonzero(env.rms_db > -40)[0]
        during = env.rms_db[on[0] + 40: on[-1]] - (SINE_RMS - 12)   # ideal: 0 dB throughout
        rig.close()
    finally:
        sink.stop()
    print("fade            max err dB  rms err dB  largest 20ms step dB   (gain range above -35 dB)")
    print(f"fade-in 10 s    {fin[0]:10.2f}  {fin[1]:10.2f}  {fin[2]:10.2f}")
    print(f"fade-out 5 s    {fout[0]:10.2f}  {fout[1]:10.2f}  {fout[2]:10.2f}")
    print(f"crossfade 8 s   {np.max(np.abs(during)):10.2f}  {np.sqrt(np.mean(during ** 2)):10.2f}  "
          f"{np.max(np.abs(np.diff(during))):10.2f}   (sum of 440+660 Hz sines, 50 ms windows; "
          f"dip {-np.min(during):.2f} dB, bump {np.max(during):.2f} dB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
