"""A missing sound device, on the real libVLC output: reported, retried, never a crash."""

import queue

import pytest

from player.audio.api import Source
from player.audio.mixer import Mixer
from player.audio.vlc import VlcOutput
from player.clock import FakeClock
from player.config import AudioConfig, load_config
from tests.audio.signals import sine

pytestmark = pytest.mark.real_audio


def test_missing_alsa_device_is_reported_not_played_into(audio_sink, tmp_path):
    out = VlcOutput(AudioConfig(device="no-such-device"))
    config = load_config({"audio": {"device": "no-such-device"}})
    clock = FakeClock()
    mixer = Mixer(out, config, clock)
    events: queue.Queue = queue.Queue()
    mixer.open(events.put)
    try:
        assert not out.device_ok() and not mixer.device_ok
        assert [e.kind for e in mixer.tick()] == ["device_lost"]
        mixer.play(Source(sine(tmp_path / "a.flac", 2.0), duration_s=2.0), fade_in_s=1)
        for _ in range(100):
            clock.advance(0.5)
            assert mixer.tick() == []            # retries with backoff, quietly
        assert mixer.is_silent and mixer.current is None
    finally:
        mixer.close()
        mixer.close()
