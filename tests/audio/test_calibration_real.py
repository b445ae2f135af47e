"""Calibration noise through real libVLC into the virtual sound card: heard at the stated level, under the cap."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from player.audio.calibration import NOISE_RMS_DBFS, NoisePlan, play_noise, write_pink_noise
from player.audio.loudness import LoudnessLookup
from player.audio.vlc import VlcOutput
from player.clock import SystemClock
from player.config import load_config
from tests.support.audio_sink import envelope

pytestmark = pytest.mark.real_audio


def test_noise_is_captured_at_normalization_plus_level_and_fades_in(audio_sink, tmp_path):
    config = load_config({"audio": {"device": "pulse"}, "volume": {"max_db": -6}})
    noise = write_pink_noise(tmp_path / "pink.wav", 14.0)
    normalization = LoudnessLookup(config.loudness).gain_db(noise)
    plan = NoisePlan(-24.0, normalization, -6.0, -60.0, hold_s=4.0, fade_in_s=3.0)
    output = VlcOutput(config.audio, max_gain_db=-6.0)
    recording = audio_sink.record()
    try:
        play_noise(output, noise, plan, clock=SystemClock(), wait=threading.Event().wait)
    finally:
        output.close()
    env = envelope(recording.stop(), window_ms=100)
    expected = NOISE_RMS_DBFS + normalization - 24.0
    loud = np.nonzero(env.rms_db > expected - 1.5)[0]
    assert len(loud) >= 25, f"the hold was not heard at {expected:.1f} dBFS: max {np.max(env.rms_db):.1f}"
    held = env.rms_db[loud[5]:loud[-5]]
    # VLC's integer percent rounds down (at most 0.5 dB here); noise level varies a little per 100 ms
    assert np.median(held) == pytest.approx(expected - 0.25, abs=0.6)
    assert np.max(env.rms_db) < expected + 1.0  # never above the stated level
    first = env.first_audible(-75)
    assert first is not None and env.rms_db[first] < expected - 20  # it fades in from far below, no jump
