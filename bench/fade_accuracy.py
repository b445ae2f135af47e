#!/usr/bin/env python3
"""Captured fade-in, fade-out and crossfade vs the ideal curves: max/RMS error (dB), largest step.

Plays through real libVLC into a private virtual sound card (PulseAudio null sink) and
measures the samples. Run: .venv/bin/python bench/fade_accuracy.py

Baseline, same run, same sink and analysis: the ideal fades and the equal-power crossfade
written into the samples themselves, played by bare libVLC at a constant volume (no volume
steps at all). Their error is the floor of this measurement (capture, windowing,
resampling); our fades' error above it is what the mixer's volume steps cost. A linear
(amplitude) crossfade, as MPD does it, is measured too, to show the analysis can see a dip.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.core.media import Source  # noqa: E402
from tests.audio.real_rig import RealRig  # noqa: E402
from tests.audio.signals import sine  # noqa: E402
from tests.support.audio_sink import AudioSink, envelope  # noqa: E402

SINE_RMS = -9.03
RATE = 48000


def _baked(path: Path, segments: list[tuple[float, float, float]], freq: float = 440.0) -> Path:
    """A 0.5-amplitude sine whose gain follows (seconds, from_db, to_db) segments, dB-linear."""
    gain_db = np.concatenate([np.linspace(a, b, int(sec * RATE), endpoint=False) for sec, a, b in segments])
    t = np.arange(len(gain_db)) / RATE
    x = 0.5 * 10 ** (gain_db / 20) * np.sin(2 * np.pi * freq * t)
    sf.write(path, np.stack([x, x], axis=1), RATE, subtype="PCM_24")
    return path


def _baked_crossfade(path: Path, fade_s: float, level_db: float, *, equal_power: bool) -> Path:
    """440 Hz -> 660 Hz sines, 5 s each side of a crossfade baked into the samples."""
    n_hold, n_fade = 5 * RATE, int(fade_s * RATE)
    progress = np.concatenate([np.zeros(n_hold), np.linspace(0, 1, n_fade), np.ones(n_hold)])
    if equal_power:
        ga, gb = np.cos(progress * np.pi / 2), np.sin(progress * np.pi / 2)
    else:
        ga, gb = 1 - progress, progress
    t = np.arange(len(progress)) / RATE
    amp = 0.5 * 10 ** (level_db / 20)
    x = amp * (ga * np.sin(2 * np.pi * 440 * t) + gb * np.sin(2 * np.pi * 660 * t))
    sf.write(path, np.stack([x, x], axis=1), RATE, subtype="PCM_24")
    return path


def _bare_play(path: Path, seconds: float) -> None:
    """Play a file with bare python-vlc at 100 % (0 dB) into the sink: no fades, no steps."""
    _bare_play_at(path, seconds, 0.0)


def _bare_play_at(path: Path, seconds: float, gain_db: float) -> None:
    """Play a file with bare python-vlc at one fixed volume (`gain_db`) into the sink."""
    import threading

    import vlc

    from player.core.gain import db_to_vlc_percent

    instance = vlc.Instance(["--aout=alsa", "--alsa-audio-device=pulse", "--no-volume-save"])
    player = instance.media_player_new()
    player.set_media(instance.media_new(str(path)))
    player.audio_set_volume(db_to_vlc_percent(gain_db))
    player.play()
    threading.Event().wait(seconds)
    player.stop()
    player.release()
    instance.release()


def _crossfade_deviation(env, level_db: float) -> np.ndarray:
    on = np.nonzero(env.rms_db > -40)[0]
    return env.rms_db[on[0] + 40: on[-1]] - (SINE_RMS + level_db)   # ideal: 0 dB throughout


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
        tone = Source(sine(tmp / "tone.flac", 30.0), duration_s=30.0)
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
        a = Source(sine(tmp / "a.flac", 30.0, freq=440), duration_s=30.0)   # powers of two pitches add
        b = Source(sine(tmp / "b.flac", 30.0, freq=660), duration_s=30.0)
        rec = sink.record()
        rig.mixer.play(a, fade_in_s=0.5)
        rig.run(5.0)
        rig.mixer.crossfade_to(b, crossfade_s=8.0)
        rig.run(12.0)
        env = envelope(rec.stop(), window_ms=50)
        during = _crossfade_deviation(env, -12)
        rig.close()

        # Baselines: the same curves in the samples, played at a constant volume.
        rec = sink.record()
        _bare_play(_baked(tmp / "baked-fades.flac", [(3, -60, -60), (10, -60, -20), (3, -20, -20), (5, -20, -60),
                                                     (2, -60, -60)]), 24.0)
        env = envelope(rec.stop())
        base_in = ramp_errors(env, -60, -20, 10.0, SINE_RMS)
        peak_t = int(np.argmax(env.rms_db))
        tail = envelope.__globals__["Envelope"](env.t[peak_t:], env.rms_db[peak_t:], env.peak_db[peak_t:])
        base_out = ramp_errors(tail, -20, -60, 5.0, SINE_RMS)
        floors = {}
        for name, equal in (("equal-power", True), ("linear", False)):
            rec = sink.record()
            _bare_play(_baked_crossfade(tmp / f"baked-{name}.flac", 8.0, -12, equal_power=equal), 19.0)
            floors[name] = _crossfade_deviation(envelope(rec.stop(), window_ms=50), -12)
    finally:
        sink.stop()
    def row(name: str, ours: tuple, base: tuple) -> None:
        print(f"{name:15s} {ours[0]:10.2f}  {ours[1]:10.2f}  {ours[2]:10.2f}   "
              f"baseline {base[0]:.2f} / {base[1]:.2f} / {base[2]:.2f}")

    def xf(d: np.ndarray) -> tuple[float, float, float]:
        return float(np.max(np.abs(d))), float(np.sqrt(np.mean(d ** 2))), float(np.max(np.abs(np.diff(d))))

    print("fade            max err dB  rms err dB  largest step dB   (gain range above -35 dB; baseline = the same "
          "curve baked into the samples, constant volume)")
    row("fade-in 10 s", fin, base_in)
    row("fade-out 5 s", fout, base_out)
    row("crossfade 8 s", xf(during), xf(floors["equal-power"]))
    print(f"crossfade: dip {-np.min(during):.2f} dB, bump {np.max(during):.2f} dB (440+660 Hz sines, 50 ms windows); "
          f"baked equal-power: dip {-np.min(floors['equal-power']):.2f} dB; baked linear (MPD-style): dip "
          f"{-np.min(floors['linear']):.2f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
