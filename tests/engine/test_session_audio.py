"""A short session end to end through real libVLC into the virtual sound card.

Two phases with different tones; the capture must show the first phase fading in from
silence, the phase boundary as an equal-power crossfade (both tones present, total level
steady), the second phase alone after it, nothing above the cap, and the final fade-out.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from player.daemon import Daemon
from tests.engine.conftest import daemon_config
from tests.support.audio_sink import RATE

pytestmark = pytest.mark.real_audio

WINDOW_S = 0.1


def tone(path: Path, freq: float, seconds: float, amplitude: float = 0.5) -> Path:
    t = np.arange(int(seconds * 44100)) / 44100
    sf.write(path, (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32), 44100)
    return path


def band_db(samples: np.ndarray, freq: float) -> np.ndarray:
    """Level (dB) of `freq` in each 100 ms window of a capture."""
    n = int(WINDOW_S * RATE)
    mono = samples[: len(samples) // n * n, 0].reshape(-1, n)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(n), axis=1))
    bins = np.fft.rfftfreq(n, 1 / RATE)
    band = (bins > freq - 15) & (bins < freq + 15)
    with np.errstate(divide="ignore"):
        return 20 * np.log10(np.sqrt(np.sum(spectrum[:, band] ** 2, axis=1)) + 1e-12)


def test_phase_change_is_an_audible_equal_power_crossfade(tmp_path: Path, audio_sink) -> None:
    tone(tmp_path / "a.wav", 440.0, 30)
    tone(tmp_path / "b.wav", 660.0, 30)
    playlist = tmp_path / "two.yaml"
    playlist.write_text("name: Two tones\ncrossfade: 3s\nphases:\n"
                        "  - name: settling\n    duration: 9s\n    fade_in: 2s\n    tracks: [a.wav]\n"
                        "  - name: onset\n    duration: 12s\n    fade_out: 2s\n    tracks: [b.wav]\n")
    config = daemon_config(tmp_path / "data", audio={"output": "vlc", "device": "pulse"},
                           volume={"max_db": -6.0, "default_db": -10.0, "start_db": -10.0, "fade_in_s": 2.0})
    ended = threading.Event()
    recording = audio_sink.record()
    try:
        with Daemon(config) as daemon:
            daemon.controller.subscribe(lambda r: ended.set() if r["type"] == "session_ended" else None)
            daemon.controller.submit("start", source="cli", playlist=str(playlist))
            assert ended.wait(60), "the session did not end"
            statuses = daemon.status()
            assert statuses["state"] == "ended"
            threading.Event().wait(2.0)  # let the capture catch the last of the fade (it lags ~0.5 s, more under load)
    finally:
        samples = recording.stop()
    peak_db = 20 * np.log10(np.max(np.abs(samples)) + 1e-12)
    assert peak_db <= -6.0, f"peak {peak_db:.1f} dBFS above the cap"
    a, b = band_db(samples, 440.0), band_db(samples, 660.0)
    a_steady, b_steady = np.percentile(a, 95), np.percentile(b, 95)
    assert a_steady > -60 and b_steady > -60, "both tones must be heard"
    a_on = np.nonzero(a > a_steady - 6)[0]
    b_on = np.nonzero(b > b_steady - 6)[0]
    # Phase order: the first tone is established before the second one rises.
    assert a_on[0] < b_on[0]
    # The crossfade: a stretch where both tones sound (within 20 dB of steady) for about its 3 s.
    both = np.nonzero((a > a_steady - 20) & (b > b_steady - 20))[0]
    assert 1.0 <= len(both) * WINDOW_S <= 5.0, f"overlap of {len(both) * WINDOW_S:.1f} s"
    # Equal power: the summed level through the crossfade never dips more than 1.5 dB below
    # the quieter of the two steady levels around it, nor bumps 1.5 dB above the louder.
    power = 10 ** (a / 10) + 10 ** (b / 10)
    total = 10 * np.log10(power[both[0]:both[-1] + 1])
    before = 10 * np.log10(np.median(power[max(a_on[0], both[0] - 20):both[0]]))
    after = 10 * np.log10(np.median(power[both[-1] + 1:both[-1] + 21]))
    low, high = min(before, after), max(before, after)
    assert total.min() > low - 1.5 and total.max() < high + 1.5, (before, after, total.min(), total.max())
    # The second phase plays alone after the crossfade, then fades out to silence.
    assert np.all(a[both[-1] + 5:] < a_steady - 30)
    assert b[-3:].max() < b_steady - 30
