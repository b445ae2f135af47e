"""A missing sound device, on the real libVLC output: reported, retried, never a crash."""

import os
import queue

import pytest

from player.audio.vlc import VlcOutput
from player.clock import FakeClock
from player.config import AudioConfig, load_config
from player.core.media import Source
from player.engine.loop import Mixer
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


def test_a_sound_server_that_goes_away_mid_play_is_noticed_and_its_return_resumes(tmp_path, monkeypatch):
    """The real output's only way to notice a lost device is the mixer's probe: this fails without it."""
    from player.audio.virtual_sink import VirtualSink
    from tests.audio.real_rig import RealRig

    monkeypatch.setenv("PULSE_SERVER", os.environ.get("PULSE_SERVER", ""))   # undone last: the session's sink
    first = VirtualSink(tmp_path / "first").start()                          # (a sink sets PULSE_SERVER itself)
    monkeypatch.setenv("PULSE_SERVER", first.server)
    rig = RealRig({"volume": {"start_db": -12, "default_db": -12}, "audio": {"device_retry_max_s": 2}})
    second = None
    try:
        rig.mixer.play(Source(sine(tmp_path / "long.flac", 60.0), 1, duration_s=60.0), fade_in_s=0.5)
        rig.run(4.0)
        assert ("track_started", "long") in rig.kinds()
        gone = first.server
        first.close()                                   # the sound server (the DAC) is gone
        monkeypatch.setenv("PULSE_SERVER", gone)        # (close() puts back the session's server)
        rig.run(17.0)                                   # the probe runs every 15 s
        assert ("device_lost", None) in rig.kinds() and not rig.mixer.device_ok and rig.mixer.is_silent
        second = VirtualSink(tmp_path / "second").start()
        monkeypatch.setenv("PULSE_SERVER", second.server)   # it is back (a new server, the same device name)
        rig.run(8.0)
        kinds = rig.kinds()
        assert ("device_restored", None) in kinds
        assert kinds[kinds.index(("device_restored", None)):].count(("track_started", "long")) == 1
        assert rig.mixer.position_s is not None and rig.mixer.position_s > 4.0     # where it was, not from 0
    finally:
        rig.close()
        first.close()
        if second is not None:
            second.close()
