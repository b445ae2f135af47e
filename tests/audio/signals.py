"""Test signals written with numpy + soundfile: sines and pink noise at known levels, broken files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000


def sine(path: Path, seconds: float, amplitude: float = 0.5, freq: float = 440.0) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    x = amplitude * np.sin(2 * np.pi * freq * t)
    sf.write(path, np.stack([x, x], axis=1), RATE)
    return path


def pink_noise(path: Path, seconds: float, rms_dbfs: float = -20.0, seed: int = 1) -> Path:
    """Pink-ish noise (1/f spectrum), stereo uncorrelated, scaled to `rms_dbfs`, peaks kept below 0 dBFS."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    chans = []
    for _ in range(2):
        spectrum = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / RATE)
        spectrum[1:] /= np.sqrt(f[1:])
        spectrum[0] = 0
        x = np.fft.irfft(spectrum, n)
        chans.append(x / np.sqrt(np.mean(x * x)) * 10 ** (rms_dbfs / 20))
    data = np.clip(np.stack(chans, axis=1), -0.99, 0.99)
    sf.write(path, data, RATE)
    return path


def broken(path: Path) -> Path:
    """A file with a FLAC signature and garbage after it: libVLC cannot decode it."""
    path.write_bytes(b"fLaC" + bytes(range(256)) * 40)
    return path
