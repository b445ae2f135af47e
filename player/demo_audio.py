"""A small royalty-free demo library, synthesized: calm pads, drones and soft tones.

So the player runs on a fresh machine with no music: `session-player demo-audio DIR` and
the lead's `session-player demo` call `generate_demo_library(dir)`. Everything is
computed from sines with slow envelopes (no samples, no randomness), so the files are
the same on every machine and nothing large is shipped in the repository. The library
mixes FLAC, Ogg Vorbis, MP3 and WAV to exercise every decoder the clinic's music may use.
Audio is generated in 5 s blocks, so a Pi's memory is not filled by a long drone.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

log = logging.getLogger(__name__)

SAMPLE_RATE = 44100
BLOCK_S = 5.0
EDGE_FADE_S = 3.0
PEAK_LEVEL = 0.35  # about -9 dBFS peak: calm, with headroom for loudness normalization

_FORMATS = {".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"), ".mp3": ("MP3", "MPEG_LAYER_III"),
            ".wav": ("WAV", "PCM_16")}


@dataclass(frozen=True)
class DemoTrack:
    """One file of the library.

    Attributes:
        notes_hz: the chord; every note gets soft harmonics and a slight left/right detune.
        pulse_s: for ``tones``, seconds between soft bell-like onsets.
        swell_s: period of the slow loudness swell.
    """

    relative: str
    seconds: float
    kind: str  # "pad" | "drone" | "tones"
    notes_hz: tuple[float, ...]
    swell_s: float = 16.0
    pulse_s: float = 6.0


DEMO_TRACKS: tuple[DemoTrack, ...] = (
    DemoTrack("settling/1-warm-pad.flac", 30, "pad", (110.0, 138.59, 164.81)),
    DemoTrack("settling/2-soft-fifths.ogg", 30, "pad", (98.0, 146.83, 196.0), swell_s=20),
    DemoTrack("onset/1-opening.ogg", 30, "tones", (220.0, 277.18, 329.63, 440.0), pulse_s=5),
    DemoTrack("onset/2-rising-drone.mp3", 30, "drone", (73.42, 110.0, 146.83)),
    DemoTrack("peak/1-long-drone.flac", 125, "drone", (65.41, 98.0, 130.81, 196.0), swell_s=24),
    DemoTrack("comedown/1-warm-tones.mp3", 30, "tones", (196.0, 246.94, 293.66), pulse_s=7),
    DemoTrack("comedown/2-grounding.wav", 30, "pad", (87.31, 130.81, 174.61)),
    DemoTrack("recovery/1-low-pad.wav", 30, "pad", (82.41, 123.47, 164.81), swell_s=24),
    DemoTrack("recovery/2-stillness.flac", 30, "drone", (55.0, 82.41, 110.0), swell_s=30),
)


def generate_demo_library(directory: Path) -> list[Path]:
    """Write every demo track under `directory`; files already there are kept as they are.

    Returns:
        The paths of all demo tracks (new and existing), in library order.
    """
    directory = Path(directory)
    paths = []
    for spec in DEMO_TRACKS:
        path = directory / spec.relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(spec, path)
            log.info("wrote %s", path)
        paths.append(path)
    return paths


def _write(spec: DemoTrack, path: Path) -> None:
    """Write to a hidden temporary name, then rename: an interrupted run leaves no half file."""
    fmt, subtype = _FORMATS[path.suffix]
    tmp = path.with_name(f".{path.name}.partial")
    total = int(spec.seconds * SAMPLE_RATE)
    block = int(BLOCK_S * SAMPLE_RATE)
    try:
        with sf.SoundFile(tmp, "w", samplerate=SAMPLE_RATE, channels=2, format=fmt, subtype=subtype) as f:
            for first in range(0, total, block):
                f.write(synthesize(spec, first, min(block, total - first)))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def synthesize(spec: DemoTrack, first: int, count: int) -> np.ndarray:
    """Samples ``first .. first+count`` of a track as float32 stereo in -1..1."""
    n = first + np.arange(count, dtype=np.int64)
    t = n / SAMPLE_RATE
    slow = t[::_CONTROL_STEP]  # envelopes move over seconds: compute them at a control rate
    left, right = np.zeros(count), np.zeros(count)
    for i, freq in enumerate(spec.notes_hz):
        envelope, table = _voice(spec, slow, i)
        envelope = np.interp(t, slow, envelope)
        detune = 0.12 + 0.05 * i  # Hz between ears: slow beating gives width without motion
        left += _lookup(table, n, freq - detune / 2, 0) * envelope
        right += _lookup(table, n, freq + detune / 2, 7) * envelope
    swell = 0.75 + 0.25 * np.sin(2 * math.pi * slow / spec.swell_s - math.pi / 2)
    gain = np.interp(t, slow, PEAK_LEVEL / len(spec.notes_hz) * swell * _edges(slow, spec.seconds))
    return np.stack([left * gain, right * gain], axis=1).astype(np.float32)


_CONTROL_STEP = 32
_TABLE_SIZE = 1 << 14
_FRACTION_BITS = 24


def _voice(spec: DemoTrack, t: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
    """The loudness envelope (at times `t`) and the one-period waveform of one chord note."""
    if spec.kind == "tones":
        period = spec.pulse_s * len(spec.notes_hz)
        phase = np.mod(t - index * spec.pulse_s, period)
        envelope = np.minimum(phase / 1.5, 1.0) * np.exp(-phase / (spec.pulse_s * 0.9))
        return envelope, _wavetable(((1, 1.0), (2, 0.25), (3, 0.06)))
    if spec.kind == "drone":
        envelope = 0.8 + 0.2 * np.sin(2 * math.pi * t / (spec.swell_s * 1.7) + index)
        return envelope, _wavetable(((1, 1.0), (2, 0.4), (3, 0.15), (4, 0.06)))
    envelope = 0.7 + 0.3 * np.sin(2 * math.pi * t / (spec.swell_s * 0.8) + 2 * index)
    return envelope, _wavetable(((1, 1.0), (2, 0.2), (3, 0.05)))


def _lookup(table: np.ndarray, n: np.ndarray, freq: float, offset: int) -> np.ndarray:
    """Table oscillator with an integer phase: one gather per sample, exact and repeatable."""
    step = round(freq * _TABLE_SIZE / SAMPLE_RATE * (1 << _FRACTION_BITS))
    index = ((n * step) >> _FRACTION_BITS) + offset
    return table[index & (_TABLE_SIZE - 1)]


@functools.cache
def _wavetable(harmonics: tuple[tuple[int, float], ...]) -> np.ndarray:
    """One period of the summed harmonics, normalized to a peak of at most 1."""
    x = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    wave = sum(amp * np.sin(2 * math.pi * k * x) for k, amp in harmonics)
    return wave / sum(a for _, a in harmonics)


def _edges(t: np.ndarray, seconds: float) -> np.ndarray:
    """Raised-cosine fade at both ends, so a file never starts or stops with a click."""
    ramp = np.clip(np.minimum(t, seconds - t) / EDGE_FADE_S, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(math.pi * ramp)
