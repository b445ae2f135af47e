"""Pink noise for measuring the level at the ear, played through the real chain under the cap.

`session-player calibrate` writes pink noise to a temporary WAV file, normalizes it like any
track (ffmpeg's loudness measurement, so it sounds as loud as music at the loudness target),
and plays it with the real `VlcOutput` on the configured device at a stated level: a dB-linear
fade from the floor, a hold while the technician reads the SPL meter, a fade out. The level
is never above the cap in force, and `VlcOutput` clamps to the cap again; the gain math is
the player's own (`Ramp`, `effective_db`), so what is measured is what sessions play.
"""

from __future__ import annotations

import math
import queue
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from player.audio.api import AudioOutput
from player.clock import Clock
from player.core.gain import Ramp, effective_db
from player.core.media import OutputEvent
from player.errors import AudioFailed

RATE_HZ = 48000
NOISE_RMS_DBFS = -20.0
BAND_HZ = (20.0, 20000.0)
DECK = "A"
START_TIMEOUT_S = 10.0
TICK_S = 0.02
STOP_RAMP_S = 0.3


def write_pink_noise(path: Path, seconds: float, *, rate: int = RATE_HZ, rms_dbfs: float = NOISE_RMS_DBFS,
                     seed: int = 7) -> Path:
    """Pink (1/f power) noise, 20 Hz-20 kHz, the same on both channels, 16-bit WAV; 50 ms edges."""
    try:
        import numpy as np
    except ImportError:
        raise AudioFailed("calibration needs numpy to make its pink noise: sudo apt install python3-numpy") from None
    n = int(seconds * rate)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    spectrum[~band] = 0
    spectrum[band] /= np.sqrt(freqs[band])
    noise = np.fft.irfft(spectrum, n)
    noise *= 10 ** (rms_dbfs / 20) / np.sqrt(np.mean(noise**2))
    edge = int(0.05 * rate)
    ramp = np.linspace(0.0, 1.0, edge)
    noise[:edge] *= ramp
    noise[-edge:] *= ramp[::-1]
    pcm = np.clip(np.round(noise * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(pcm, 2).tobytes())
    return path


@dataclass(frozen=True)
class NoisePlan:
    """When the noise is at which gain: fade in from the floor, hold at `level_db`, fade out.

    Args:
        level_db: the stated level (a master level, as staff set it; at most `cap_db`).
        normalization_db: the noise file's normalization gain (to the loudness target).
        cap_db: the cap in force; no gain is ever above it.
        floor_db: where the fade from silence begins (``volume.floor_db``).
    """

    level_db: float
    normalization_db: float
    cap_db: float
    floor_db: float
    hold_s: float
    fade_in_s: float = 5.0
    fade_out_s: float = 1.0

    @property
    def total_s(self) -> float:
        return self.fade_in_s + self.hold_s + self.fade_out_s

    def fader_db(self, t: float) -> float | None:
        if t < self.fade_in_s:
            return Ramp(None, 0.0, 0.0, self.fade_in_s, self.floor_db).value(t)
        if t < self.fade_in_s + self.hold_s:
            return 0.0
        return Ramp(0.0, None, self.fade_in_s + self.hold_s, self.fade_out_s, self.floor_db).value(t)

    def gain_db(self, t: float) -> float | None:
        """The deck's total gain `t` seconds after the noise started (None = muted)."""
        return effective_db(self.normalization_db, 0.0, self.fader_db(t), min(self.level_db, self.cap_db),
                            self.cap_db)


def play_noise(output: AudioOutput, path: Path, plan: NoisePlan, *, clock: Clock,
               wait: Callable[[float], object], on_second: Callable[[float], None] | None = None) -> None:
    """Play `path` on an opened-here `output` following `plan`; the caller closes the output.

    `wait(seconds)` paces the loop (a fake clock's advance in tests). Ctrl-C (or any error)
    ramps the noise down over 0.3 s rather than cutting it.
    """
    events: queue.Queue[OutputEvent] = queue.Queue()
    output.open(events.put)  # libVLC's threads only enqueue; everything else happens here
    token = output.load(DECK, path)
    output.set_gain_db(DECK, None)
    output.play(DECK)
    deadline = clock.monotonic() + START_TIMEOUT_S
    while not _playing(events, token):
        if clock.monotonic() > deadline:
            raise AudioFailed(f"the noise did not start playing within {START_TIMEOUT_S:g} s")
        wait(TICK_S)
    t0, last_second, gain = clock.monotonic(), -1, None
    try:
        while (t := clock.monotonic() - t0) < plan.total_s:
            gain = plan.gain_db(t)
            output.set_gain_db(DECK, gain)
            if on_second is not None and int(t) != last_second:
                last_second = int(t)
                on_second(t)
            wait(TICK_S)
    except BaseException:
        _ramp_down(output, gain, plan.floor_db, clock, wait)
        raise
    finally:
        output.stop(DECK)


def _playing(events: queue.Queue[OutputEvent], token: int) -> bool:
    while True:
        try:
            event = events.get_nowait()
        except queue.Empty:
            return False
        if event.kind == "error" and event.token == token:
            raise AudioFailed("the audio device could not play the noise")
        if event.kind == "playing" and event.token == token:
            return True


def _ramp_down(output: AudioOutput, from_db: float | None, floor_db: float, clock: Clock,
               wait: Callable[[float], object]) -> None:
    if from_db is None:
        return
    ramp, t0 = Ramp(from_db, None, 0.0, STOP_RAMP_S, floor_db), clock.monotonic()
    while (level := ramp.value(clock.monotonic() - t0)) is not None and math.isfinite(level):
        output.set_gain_db(DECK, level)
        wait(TICK_S)
    output.set_gain_db(DECK, None)
