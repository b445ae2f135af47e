"""Test music made in the test: espeak-ng speech over a sox pad, and instrumental material with no voice.

Levels are the speech's gain over espeak-ng's own level; the pad's RMS is about -18 dBFS and
the speech's about -21 dBFS (pauses included), so gain 0 / -6 / -12 dB puts the voice about
3 / 9 / 15 dB under the music. Needs espeak-ng and sox (bootstrap.sh's test packages).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

RATE = "44100"
SPEECH = ("This is a recording. Please do not be alarmed. The session will begin shortly. "
          "Breathe in, and breathe out.")


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def pad(path: Path, seconds: float) -> Path:
    """A sustained three-note synth chord with a slow tremolo (an ambient pad)."""
    _run("sox", "-n", "-r", RATE, "-c", "2", str(path), "synth", f"{seconds:g}", "sine", "220", "sine", "277",
         "sine", "330", "tremolo", "0.2", "40", "gain", "-12")
    return path


def speech(path: Path, text: str = SPEECH) -> float:
    """espeak-ng saying `text` into `path` (WAV); returns its length in seconds."""
    _run("espeak-ng", "-s", "150", "-w", str(path), text)
    return float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True).stdout)


def speech_over_pad(folder: Path, name: str, *, at_s: float, gain_db: float,
                    seconds: float = 40.0) -> tuple[Path, float]:
    """A FLAC of a pad with speech starting at `at_s`, `gain_db` relative to espeak's level; (path, speech end s)."""
    voice = folder / f"{name}-voice.wav"
    length = speech(voice)
    placed = folder / f"{name}-placed.wav"
    _run("sox", str(voice), "-r", RATE, "-c", "2", str(placed), "gain", f"{gain_db:g}", "pad", f"{at_s:g}")
    out = folder / f"{name}.flac"
    _run("sox", "-m", str(pad(folder / f"{name}-pad.wav", seconds)), str(placed), str(out), "trim", "0",
         f"{seconds:g}")
    return out, at_s + length


def drone(path: Path, seconds: float = 40.0) -> Path:
    """A low drone: 55 Hz and its harmonics."""
    _run("sox", "-n", "-r", RATE, "-c", "2", str(path), "synth", f"{seconds:g}", "sine", "55", "sine", "110",
         "sine", "165", "gain", "-10")
    return path


def noise(path: Path, colour: str, seconds: float = 40.0) -> Path:
    """Pink or brown noise (rain, surf)."""
    _run("sox", "-n", "-r", RATE, "-c", "2", str(path), "synth", f"{seconds:g}", f"{colour}noise", "gain", "-15")
    return path


def plucks(path: Path, repeats: int = 3) -> Path:
    """Piano-like plucked notes, a slow arpeggio (about 14 s per pass)."""
    notes = []
    for i, note in enumerate(("C4", "E4", "G4", "B4", "D5", "A4", "F4", "C5") * 2):
        one = path.with_name(f"{path.stem}-{i}.wav")
        _run("sox", "-n", "-r", RATE, "-c", "2", str(one), "synth", "0.9", "pluck", note, "fade", "0", "0.9", "0.8",
             "gain", "-6")
        notes.append(str(one))
    once = path.with_name(f"{path.stem}-once.wav")
    _run("sox", *notes, str(once))
    _run("sox", *[str(once)] * repeats, str(path))
    return path


def silence(path: Path, seconds: float = 20.0) -> Path:
    _run("sox", "-n", "-r", RATE, "-c", "2", str(path), "trim", "0", f"{seconds:g}")
    return path
