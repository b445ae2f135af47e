"""EBU Tech 3341 minimum-requirement test signals we can synthesize, with the expected readings.

Tech 3341 (loudness metering, "EBU mode") lists signals every meter must read within
+-0.1 LU. Cases 1-5 are stereo 1 kHz sines whose levels are given in dBFS of the sine's
peak; for such a sine the BS.1770 K-weighting (+0.69 dB at 1 kHz) and the -0.691
constant cancel, so an L/R pair at -23 dBFS reads -23.0 LUFS. Cases 3-5 check the gates
(absolute -70 LUFS, relative -10 LU). Case 6 (5.0 channels) and cases 7-8 (authentic
programme) cannot be made here. The true-peak cases 15-18 (Tech 3341 v3) are -6 dBFS sines
at fs/4, fs/6 and fs/8 whose samples miss the peaks, so a sample-peak meter reads up to 3 dB
low.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000


@dataclass(frozen=True)
class LoudnessCase:
    """A Tech 3341 signal: (seconds, sine peak dBFS) segments, and the integrated loudness it must read."""

    name: str
    segments: tuple[tuple[float, float], ...]
    expected_lufs: float
    tolerance_lu: float = 0.1


CASES = (
    LoudnessCase("3341-1 sine -23 dBFS 20 s", ((20.0, -23.0),), -23.0),
    LoudnessCase("3341-2 sine -33 dBFS 20 s", ((20.0, -33.0),), -33.0),
    LoudnessCase("3341-3 -36/-23/-36 dBFS", ((10.0, -36.0), (60.0, -23.0), (10.0, -36.0)), -23.0),
    LoudnessCase("3341-4 -72/-36/-23/-36/-72", ((10.0, -72.0), (10.0, -36.0), (60.0, -23.0), (10.0, -36.0),
                                               (10.0, -72.0)), -23.0),
    LoudnessCase("3341-5 -26/-20/-26 dBFS", ((20.0, -26.0), (20.1, -20.0), (20.0, -26.0)), -23.0),
)


def samples(case: LoudnessCase, freq: float = 1000.0) -> np.ndarray:
    """The case as float64 stereo samples (identical L and R), one continuous sine."""
    gains = np.concatenate([np.full(int(round(s * RATE)), 10 ** (db / 20)) for s, db in case.segments])
    t = np.arange(len(gains)) / RATE
    mono = gains * np.sin(2 * np.pi * freq * t)
    return np.stack([mono, mono], axis=1)


def write_case(path: Path, case: LoudnessCase) -> Path:
    """The case as a 24-bit FLAC (quantization far below what the cases test)."""
    sf.write(path, samples(case), RATE, subtype="PCM_24")
    return path


#: Tech 3341 v3 true-peak cases 15-18 (name, frequency Hz, phase degrees): each a -6 dBFS sine
#: whose samples miss its peaks by these phases; every one must read -6.0 dBTP (+0.2/-0.4).
TRUE_PEAK_CASES = (("3341-15 fs/4 phase 0", RATE / 4, 0.0), ("3341-16 fs/4 phase 45", RATE / 4, 45.0),
                   ("3341-17 fs/6 phase 60", RATE / 6, 60.0), ("3341-18 fs/8 phase 67.5", RATE / 8, 67.5),
                   ("1 kHz", 1000.0, 0.0))


def write_true_peak(path: Path, freq: float, phase_deg: float, peak_dbfs: float = -6.0,
                    seconds: float = 5.0) -> Path:
    """A stereo sine of true peak `peak_dbfs`, its samples `phase_deg` off its peaks (24-bit FLAC)."""
    n = np.arange(int(seconds * RATE))
    mono = 10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * freq / RATE * n + np.radians(phase_deg))
    sf.write(path, np.stack([mono, mono], axis=1), RATE, subtype="PCM_24")
    return path
