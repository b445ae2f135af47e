"""Calibration noise: the pink noise itself, its fade plan under the cap, its playback on a fake output."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from player.audio.calibration import NoisePlan, play_noise, write_pink_noise
from player.audio.fake import FakeOutput
from player.clock import FakeClock
from player.core.gain import db_to_vlc_percent
from player.errors import AudioFailed


def read_wav(path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 48000)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2) / 32768.0


def test_pink_noise_has_equal_power_per_octave_at_the_stated_rms(tmp_path):
    samples = read_wav(write_pink_noise(tmp_path / "n.wav", 10.0))
    assert np.array_equal(samples[:, 0], samples[:, 1])
    left = samples[:, 0]
    middle = left[4800:-4800]
    assert 20 * np.log10(np.sqrt(np.mean(middle**2))) == pytest.approx(-20.0, abs=0.2)
    power = np.abs(np.fft.rfft(left)) ** 2
    freqs = np.fft.rfftfreq(len(left), 1 / 48000)
    octaves = [power[(freqs >= f) & (freqs < 2 * f)].sum() for f in (63, 125, 250, 500, 1000, 2000, 4000, 8000)]
    db = 10 * np.log10(np.array(octaves) / octaves[0])
    assert np.max(np.abs(db)) < 1.0, f"octave band levels {np.round(db, 2)} dB: not pink"
    assert np.max(np.abs(left)) < 1.0  # no clipping
    assert np.max(np.abs(left[:48])) < 0.01  # starts from silence (50 ms edge)


def plan(**kw) -> NoisePlan:
    args = {"level_db": -30.0, "normalization_db": 2.0, "cap_db": -6.0, "floor_db": -60.0, "hold_s": 10.0}
    return NoisePlan(**{**args, **kw})


def test_plan_fades_in_db_linearly_from_the_floor_holds_and_fades_out():
    p = plan()
    assert p.gain_db(0.0) is None                         # muted at the very start
    assert p.gain_db(2.5) == pytest.approx(2.0 - 30.0 - 30.0)  # halfway: fader -30 dB of its -60..0 ramp
    assert p.gain_db(5.0) == pytest.approx(-28.0)          # held: normalization + level
    assert p.gain_db(14.9) == pytest.approx(-28.0)
    assert p.gain_db(15.5) == pytest.approx(-28.0 - 30.0)  # fading out
    assert p.gain_db(16.0) is None and p.total_s == 16.0


def test_plan_never_exceeds_the_cap_whatever_it_is_asked():
    hot = plan(level_db=0.0, normalization_db=12.0, cap_db=-13.0)
    gains = [hot.gain_db(t / 100) for t in range(0, 1700)]
    assert max(g for g in gains if g is not None) == -13.0


class Ticker:
    """`wait` for play_noise: advances the fake clock (and the output's time) instead of sleeping."""

    def __init__(self, clock: FakeClock, output: FakeOutput, interrupt_at: float | None = None) -> None:
        self.clock, self.output, self.interrupt_at, self.t0 = clock, output, interrupt_at, clock.monotonic()

    def __call__(self, seconds: float) -> bool:
        self.clock.advance(seconds)
        self.output.run_due()
        if self.interrupt_at is not None and self.clock.monotonic() - self.t0 >= self.interrupt_at:
            raise KeyboardInterrupt
        return False


def test_play_noise_on_the_fake_output_stays_under_the_cap_and_stops(tmp_path):
    clock = FakeClock()
    output = FakeOutput(clock=clock, max_gain_db=-13.0)
    noise = write_pink_noise(tmp_path / "n.wav", 20.0)
    seconds = []
    play_noise(output, noise, plan(level_db=-10.0, cap_db=-13.0), clock=clock, wait=Ticker(clock, output),
               on_second=seconds.append)
    percents = [p for _, p in output.gains["A"]]
    assert percents[0] == 0 and max(percents) == db_to_vlc_percent(-13.0) and percents[-1] == 0
    rising = percents[: percents.index(max(percents)) + 1]
    assert rising == sorted(rising)  # a fade up, never a jump back
    assert [round(s) for s in seconds] == list(range(16))
    assert output.calls[-1][1] == "stop"


def test_ctrl_c_during_the_hold_ramps_down_instead_of_cutting(tmp_path):
    clock = FakeClock()
    output = FakeOutput(clock=clock, max_gain_db=-6.0)
    noise = write_pink_noise(tmp_path / "n.wav", 20.0)
    with pytest.raises(KeyboardInterrupt):
        play_noise(output, noise, plan(), clock=clock, wait=Ticker(clock, output, interrupt_at=8.0))
    tail = [p for _, p in output.gains["A"]][-15:]
    held = db_to_vlc_percent(-28.0)
    assert tail[0] <= held and tail[-1] == 0
    assert len([p for p in tail if 0 < p < held]) >= 5  # several steps down over 0.3 s, not a cut
    assert output.calls[-1][1] == "stop"


def test_a_device_that_did_not_open_refuses_before_anything_plays(tmp_path):
    clock = FakeClock()
    output = FakeOutput(clock=clock, max_gain_db=-6.0)
    output.set_device_present(False)
    noise = write_pink_noise(tmp_path / "n.wav", 20.0)
    with pytest.raises(AudioFailed, match="did not open: nothing was played"):
        play_noise(output, noise, plan(), clock=clock, wait=Ticker(clock, output))
    assert "play" not in [c[1] for c in output.calls]


def test_a_stream_that_stops_advancing_refuses_the_reading_and_ramps_down(tmp_path):
    clock = FakeClock()
    output = FakeOutput(clock=clock, max_gain_db=-6.0)
    noise = tmp_path / "n.wav"
    output.add_media(noise, 20.0, fault="stall", stall_at_s=1.0)  # libVLC "playing", the device not taking samples
    with pytest.raises(AudioFailed, match="the noise is not playing"):
        play_noise(output, noise, plan(), clock=clock, wait=Ticker(clock, output))
    assert output.calls[-1][1] == "stop"


def test_a_device_lost_during_the_hold_refuses_the_reading(tmp_path):
    clock = FakeClock()
    output = FakeOutput(clock=clock, max_gain_db=-6.0)
    noise = write_pink_noise(tmp_path / "n.wav", 20.0)

    def wait(seconds: float) -> bool:
        Ticker(clock, output)(seconds)
        if clock.monotonic() > 7:
            output.set_device_present(False)
        return False

    with pytest.raises(AudioFailed, match="device_lost|went away"):
        play_noise(output, noise, plan(), clock=clock, wait=wait)
