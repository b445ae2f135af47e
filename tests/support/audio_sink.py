"""The virtual sound card as a test harness: capture what the player really outputs.

`player.audio.virtual_sink` runs PulseAudio with a null sink, reached through ALSA's ``pulse``
plugin (so the player runs with ``audio.device: pulse`` exactly as on a Pi with a real card);
this adds what tests need: checks for the tools, captures as samples, level envelopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from player.audio.virtual_sink import CHANNELS, RATE, VirtualSink
from player.audio.virtual_sink import missing_tools as sink_tools_missing


def missing_tools() -> list[str]:
    """What is missing to run real-audio tests (empty when all is there)."""
    missing = sink_tools_missing()
    try:
        import vlc
        if vlc.Instance(["--quiet"]) is None:
            missing.append("libVLC (vlc.Instance failed)")
    except (ImportError, OSError) as exc:
        missing.append(f"libVLC ({exc})")
    if not any(Path("/usr/lib").glob("*/alsa-lib/libasound_module_pcm_pulse.so")):
        missing.append("libasound2-plugins (ALSA pulse plugin)")
    return missing


@dataclass
class Envelope:
    """Per-window levels of a capture: `t` seconds, `rms_db` and `peak_db` dBFS (-inf for silence)."""

    t: np.ndarray
    rms_db: np.ndarray
    peak_db: np.ndarray

    def first_audible(self, threshold_db: float = -70.0) -> int | None:
        idx = np.nonzero(self.rms_db > threshold_db)[0]
        return int(idx[0]) if len(idx) else None


def envelope(samples: np.ndarray, window_ms: float = 20.0) -> Envelope:
    n = max(1, int(RATE * window_ms / 1000))
    count = len(samples) // n
    frames = samples[: count * n].reshape(count, n * samples.shape[1])
    with np.errstate(divide="ignore"):
        rms = 10 * np.log10(np.mean(frames * frames, axis=1))
        peak = 20 * np.log10(np.max(np.abs(frames), axis=1))
    return Envelope(np.arange(count) * n / RATE, rms, peak)


def band_envelope(samples: np.ndarray, window_ms: float = 1000.0, lo_hz: float = 200.0,
                  hi_hz: float = 8000.0) -> Envelope:
    """Levels of the `lo_hz`..`hi_hz` band per window (dB RMS of that band, left channel).

    Pink noise carries much of its energy below 1 Hz, so its plain RMS in 1 s windows wanders
    by +-1.5 dB on its own; the band level (as loudness weighting does) holds within 0.3 dB, so
    level changes the player makes can be told from the signal's own.
    """
    n = max(2, int(RATE * window_ms / 1000))
    count = len(samples) // n
    frames = samples[: count * n, 0].reshape(count, n)
    spectrum = np.fft.rfft(frames, axis=1)
    bins = np.fft.rfftfreq(n, 1 / RATE)
    band = (bins >= lo_hz) & (bins <= hi_hz)
    power = 2 * np.sum(np.abs(spectrum[:, band]) ** 2, axis=1) / (n * n)
    with np.errstate(divide="ignore"):
        db = 10 * np.log10(power)
    return Envelope(np.arange(count) * n / RATE, db, db)


class Recording:
    """One running capture of the sink; `stop()` returns the samples as float (-1..1), frames x 2."""

    def __init__(self, sink: VirtualSink, path: Path) -> None:
        self._path = path
        self._proc = sink.record(path)

    def stop(self) -> np.ndarray:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        raw = self._path.read_bytes()
        raw = raw[: len(raw) - len(raw) % (2 * CHANNELS)]
        return np.frombuffer(raw, dtype="<i2").reshape(-1, CHANNELS).astype(np.float64) / 32768.0


class AudioSink:
    """The player's virtual sound card (`player.audio.virtual_sink`) with sample capture for tests."""

    def __init__(self) -> None:
        self._sink = VirtualSink()
        self._records = 0

    def start(self) -> str:
        """Start the sound server (sets PULSE_SERVER for this process); returns its address."""
        return self._sink.start().server

    def record(self) -> Recording:
        self._records += 1
        assert self._sink.dir is not None, "start() the sink first"
        return Recording(self._sink, self._sink.dir / f"capture-{self._records}.raw")

    def stop(self) -> None:
        self._sink.close()
