"""What reaches the sound device: real libVLC into the virtual sound card, samples measured.

Capture lags playback by ~0.5 s and the machine is shared, so every measurement is aligned
on the captured signal itself (first audible window, or a fitted ramp), never on wall time.
VLC's volume is an integer percent on a cubic curve: 1 % is under 1 dB only above about
-35 dB of gain, so step sizes are judged there (below, steps reach 2.5 dB at -60 dB).
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from player.audio.ebur128 import measure
from player.audio.loudness import LoudnessLookup
from player.core.media import Source
from tests.audio.real_rig import RealRig
from tests.audio.signals import broken, pink_noise, sine
from tests.support.audio_sink import envelope

pytestmark = pytest.mark.real_audio

SINE_RMS_DBFS = -9.03  # 0.5 amplitude sine


@pytest.fixture
def rig_factory(audio_sink):
    rigs = []

    def make(config, loudness=None):
        rigs.append(RealRig(config, loudness))
        return rigs[-1]
    yield make
    for rig in rigs:
        rig.close()


def fade_in_fit(env, start_db, end_db, fade_s, offset_db):
    """Fit the ideal ramp's start to the capture: (errors above -35 dB gain, steps above -30 dB gain, t0)."""
    gain = env.rms_db - offset_db
    slope = (end_db - start_db) / fade_s
    mid = np.nonzero((gain > -35) & (gain < end_db - 2))[0]
    assert len(mid) > 20, "no fade captured"
    t0 = float(np.median(env.t[mid] - (gain[mid] - start_db) / slope))
    ideal = np.clip(start_db + slope * (env.t - t0), start_db, end_db)
    window = (ideal > -35) & (env.t < t0 + fade_s)
    fine = (ideal > -30) & (env.t < t0 + fade_s)
    return gain[window] - ideal[window], np.abs(np.diff(gain[fine])), t0


def test_fade_in_follows_the_db_ramp_starts_silent_and_never_exceeds_the_cap(rig_factory, tmp_path):
    rig = rig_factory({"volume": {"start_db": -20, "default_db": -20, "max_db": -6, "floor_db": -60}})
    track = Source(sine(tmp_path / "tone.flac", 14.0), duration_s=14.0)
    recording = audio_sink_record(rig)
    rig.mixer.play(track, fade_in_s=8.0)   # 5 dB/s; libVLC applies volume per decoded block (~85 ms)
    rig.run(11.0)
    env = envelope(recording.stop())
    errors, steps, t0 = fade_in_fit(env, -60, -20, 8.0, SINE_RMS_DBFS)
    assert np.max(np.abs(errors)) < 1.0, f"fade-in off the ideal by {np.max(np.abs(errors)):.2f} dB"
    worst = int(np.argmax(steps))
    assert np.max(steps) < 1.0, f"a step of {np.max(steps):.2f} dB: {errors[max(0, worst - 5):worst + 5]}"
    first = env.first_audible(-75)
    assert first is not None
    blip = env.peak_db[first:first + 10]                       # first 200 ms of sound: at the floor
    assert np.max(blip) < -6.02 - 60 + 6
    assert np.all(env.rms_db[:max(0, first - 1)] < -75)        # nothing before: silent
    assert np.max(env.peak_db) <= -6.02 - 20 + 0.5             # 0.5 amp sine at -20 dB, and < cap


_SINKS: dict = {}


def audio_sink_record(rig):
    return _SINKS["sink"].record()


@pytest.fixture(autouse=True)
def _sink(audio_sink):
    _SINKS["sink"] = audio_sink


def test_hot_file_and_master_request_never_exceed_the_cap(rig_factory, tmp_path):
    rig = rig_factory({"volume": {"start_db": -6, "default_db": -6, "max_db": -6}})
    hot = Source(sine(tmp_path / "hot.flac", 8.0, amplitude=0.99), trim_db=+12.0, duration_s=8.0)
    recording = audio_sink_record(rig)
    rig.mixer.play(hot, fade_in_s=0.5)
    rig.run(2.5)
    rig.mixer.set_master_db(+20)
    rig.run(1.5)
    env = envelope(recording.stop())
    assert np.max(env.peak_db) <= 20 * np.log10(0.99) - 6 + 0.3


def test_crossfade_holds_the_level_without_dip_or_bump(rig_factory, tmp_path):
    """Two equal sines at different pitches: their powers add, so an equal-power crossfade is flat."""
    rig = rig_factory({"volume": {"start_db": -12, "default_db": -12}})
    a = Source(sine(tmp_path / "a.flac", 20.0, freq=440), duration_s=20.0)
    b = Source(sine(tmp_path / "b.flac", 20.0, freq=660), duration_s=20.0)
    recording = audio_sink_record(rig)
    rig.mixer.play(a, fade_in_s=0.5)
    rig.run(4.0)
    rig.mixer.crossfade_to(b, crossfade_s=4.0)
    rig.run(7.5)
    env = envelope(recording.stop(), window_ms=50)
    on = np.nonzero(env.rms_db > -40)[0]
    level = env.rms_db[on[0] + 30: on[-1]]              # from 1.5 s after the fade-in began
    steady = SINE_RMS_DBFS - 12
    assert np.median(level[:20]) == pytest.approx(steady, abs=0.5)
    dip, bump = steady - np.min(level), np.max(level) - steady
    assert dip < 1.5, f"dip {dip:.2f} dB"
    assert bump < 1.0, f"bump {bump:.2f} dB"
    assert ("track_ended", "a") in rig.kinds()


def test_broken_file_is_skipped_with_at_most_2s_of_silence(rig_factory, tmp_path):
    rig = rig_factory({"volume": {"start_db": -12, "default_db": -12}})
    a = Source(sine(tmp_path / "a.flac", 5.0), duration_s=5.0)
    bad = Source(broken(tmp_path / "bad.flac"), duration_s=5.0)
    c = Source(sine(tmp_path / "c.flac", 8.0, freq=660), duration_s=8.0)
    rig.auto_next = [bad, c]
    rig.crossfade_s = 1.0
    recording = audio_sink_record(rig)
    rig.mixer.play(a, fade_in_s=0.5)
    rig.run(9.0)
    env = envelope(recording.stop(), window_ms=20)
    assert ("track_failed", "bad") in rig.kinds() and ("track_started", "c") in rig.kinds()
    first = env.first_audible(-60)
    sound = env.rms_db[first:] > -50
    last_sound = len(sound) - np.argmax(sound[::-1])
    gaps, run = [], 0
    for on in sound[:last_sound]:
        run = 0 if on else run + 1
        gaps.append(run)
    assert max(gaps) * 0.02 <= 2.0


def heard_lufs(rig, track: Source, tmp_path) -> float:
    """Play `track` alone for a few seconds and measure the loudness of what was captured."""
    recording = audio_sink_record(rig)
    rig.mixer.play(track, fade_in_s=0.3)
    rig.run(5.5)                                 # pre-roll, then ~1.3 s until the output plays it
    rig.mixer.stop(0.3)
    rig.run(0.6 + rig.config.audio.latency_s)
    samples = recording.stop()
    env = envelope(samples, window_ms=400)
    on = np.nonzero(env.rms_db > -70)[0]
    middle = samples[int(env.t[on[0]] * 48000) + 24000: int(env.t[on[-1]] * 48000) - 24000]
    sf.write(tmp_path / "capture.wav", middle, 48000)
    return measure(tmp_path / "capture.wav").loudness_lufs


def test_two_differently_mastered_files_play_within_1_lu(rig_factory, tmp_path):
    quiet = Source(pink_noise(tmp_path / "quiet.flac", 10.0, -32, seed=3), duration_s=10.0)
    loud = Source(pink_noise(tmp_path / "loud.flac", 10.0, -16, seed=4), duration_s=10.0)
    lookup = LoudnessLookup(load_cfg().loudness)
    rig = rig_factory({"volume": {"start_db": -24, "default_db": -24}}, loudness=lookup)  # +14 dB stays under the cap
    rig.mixer.prefetch([quiet, loud])
    assert rig.mixer.wait_for_prefetch(30)
    levels = [heard_lufs(rig, track, tmp_path) for track in (quiet, loud)]
    assert abs(levels[0] - levels[1]) < 1.0, f"levels {levels}"


def test_an_unmeasurable_file_is_heard_at_the_cautious_level(rig_factory, tmp_path):
    """The same audio twice; the analysis of one copy fails. The measured copy is heard at the
    target (its gain g), the other at the cautious -10 dB (target -18 LUFS, assumed as hot as
    -8 LUFS): -10 - g dB apart, where 0 dB trim would make them -g apart."""
    measured = Source(pink_noise(tmp_path / "measured.flac", 10.0, -20, seed=5), duration_s=10.0)
    copy = tmp_path / "unmeasurable.flac"
    copy.write_bytes(measured.path.read_bytes())
    unmeasurable = Source(copy, duration_s=10.0)
    lookup = LoudnessLookup(load_cfg().loudness)
    gain = lookup.gain_db(measured.path)

    class FailsOne:
        def measure_level(self, path, progress=None):
            if path.name == "unmeasurable.flac":
                raise RuntimeError("ffmpeg: invalid data found when processing input")
            return lookup.measure_level(path, progress)

    rig = rig_factory({"volume": {"start_db": -20, "default_db": -20}}, loudness=FailsOne())
    rig.mixer.prefetch([measured, unmeasurable])
    assert rig.mixer.wait_for_prefetch(30)
    levels = [heard_lufs(rig, track, tmp_path) for track in (measured, unmeasurable)]
    assert abs((levels[1] - levels[0]) - (-10.0 - gain)) < 1.0, f"levels {levels}, measured gain {gain:+.1f} dB"


def load_cfg():
    from player.config import load_config
    return load_config({})


def test_master_change_pause_resume_and_emergency_stop_are_ramps_not_clicks(rig_factory, tmp_path):
    """libVLC applies a volume change per decoded block (~80 ms here), so ramps are staircases:
    about (dB/s x 0.08) per step. Default pause/resume fades (3 s) and the 300 ms master ramp
    stay under 2.5 dB per step; the 0.5 s emergency ramp takes ~6 steps to silence."""
    rig = rig_factory({"volume": {"start_db": -12, "default_db": -12}})
    track = Source(sine(tmp_path / "tone.flac", 30.0), duration_s=30.0)
    recording = audio_sink_record(rig)
    rig.mixer.play(track, fade_in_s=0.5)
    rig.run(2.5)
    rig.mixer.set_master_db(-20)             # 8 dB over 300 ms
    rig.run(0.7)
    latency = rig.config.audio.latency_s    # a faded deck plays on muted this long (see deck.py)
    rig.mixer.pause()                        # 3 s
    rig.run(3.5 + latency)
    rig.mixer.resume()                       # 3 s, after the deck runs again
    rig.run(4.5)
    rig.mixer.emergency_stop()
    rig.run(1.0 + latency)
    env = envelope(recording.stop())
    gain = np.maximum(env.rms_db - SINE_RMS_DBFS, -200)[env.first_audible(-75) + 50:]  # after the start fade
    last_loud = np.nonzero(gain > -40)[0][-1]
    drop = np.nonzero(gain[:last_loud] > -21)[0][-1]    # the emergency ramp begins after this window
    assert (last_loud + 1 - drop) * 0.02 <= 0.6          # silent within the 0.5 s ramp
    assert np.all(np.diff(gain[drop:last_loud + 1]) < 0.5)   # falling all the way, no bounce
    ramps = gain[:drop]
    both = (ramps[1:] > -30) & (ramps[:-1] > -30)       # audible, VLC's percent fine enough; skips dropouts
    steps = np.abs(np.diff(ramps))[both]
    assert np.max(steps) < 2.5, f"largest step {np.max(steps):.2f} dB"
    assert np.max(gain) < -12 + 0.5
    assert [k for k, _ in rig.kinds()].count("fade_finished") == 2
