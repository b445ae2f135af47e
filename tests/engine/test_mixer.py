"""The Mixer on FakeOutput + FakeClock: sequencing, crossfade timing, the cap, faults, device loss."""

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.core.deck import PREROLL_S
from player.core.gain import vlc_percent_to_db
from player.core.level_model import TrackLevel
from player.core.media import Source
from tests.engine.mixer_harness import Rig


def test_play_starts_muted_then_fades_from_floor_to_start_level_then_master():
    rig = Rig({"volume": {"fade_in_s": 10, "start_db": -20, "default_db": -12, "floor_db": -60}})
    a = rig.track("a", 120)
    rig.mixer.begin_level()
    rig.mixer.play(a, fade_in_s=10)
    assert rig.out.calls[1][1:] == ("load", ("A", a.path, 0.0))
    assert rig.out.gains["A"][0][1] == 0                       # muted before play()
    rig.run(0.5)
    assert rig.out.volume_percent("A") == 0 and rig.mixer.is_silent     # pre-roll: muted
    rig.run(PREROLL_S)
    started = rig.when("track_started", "a")
    rig.run(10)
    assert abs(rig.level_at("A", started + 0.05) - -60) < 1.5   # first audible step is at the floor
    assert abs(rig.level_at("A", started + 5) - -40) < 1.0      # dB-linear: half way = -40
    assert abs(rig.mixer.level_db - -20) < 1.5                 # start level held...
    rig.run(61)
    assert abs(rig.mixer.level_db - -12) < 0.01                # ...then slowly (volume.rise_s) the playing level
    pairs = [(vlc_percent_to_db(a), vlc_percent_to_db(b)) for (_, a), (_, b)
             in zip(rig.out.gains["A"][1:], rig.out.gains["A"][2:], strict=False)]
    # VLC's volume is an integer percent, cubic: 1 % is < 1 dB above -35 dB, 2.5 dB at 10 % (-60 dB)
    assert max(abs(b - a) for a, b in pairs if a > -35) < 1.0
    assert max(abs(b - a) for a, b in pairs) < 2.5


def test_sequence_crossfades_so_the_outgoing_track_ends_at_the_fade_end():
    rig = Rig()
    a, b, c = rig.track("a", 30), rig.track("b", 20), rig.track("c", 20)
    rig.auto_next = [b, c]
    rig.mixer.play(a, fade_in_s=5)
    rig.run(70)
    assert rig.kinds() == [("track_started", "a"), ("needs_track", "a"), ("track_started", "b"),
                           ("needs_track", "b"), ("track_ended", "a"), ("track_started", "c"),
                           ("needs_track", "c"), ("track_ended", "b"), ("track_ended", "c")]
    a_start = rig.out.calls[2][0]                      # play() of deck A
    a_end = a_start + 30 - rig.config.audio.latency_s  # the last 1.5 s of a stream may never be heard
    last_a = max(t for t, p in rig.out.gains["A"] if p > 0 and t < a_end + 1)
    first_b = min(t for t, p in rig.out.gains["B"] if p > 0)
    assert abs(last_a - a_end) < 0.1                   # a is audible until the end of its fade
    assert abs(first_b - (a_end - rig.crossfade_s)) < 0.1
    assert rig.mixer.is_silent and rig.mixer.current is None


def test_needs_track_comes_before_the_preroll_must_start():
    rig = Rig()
    a = rig.track("a", 60)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(60)
    asked = rig.when("needs_track", "a") - rig.out.calls[2][0]
    assert asked <= 60 - rig.crossfade_s - 2 - 5


def test_short_tracks_crossfade_two_decks_at_a_time_equal_power():
    """14 s tracks, 6 s crossfades: the pre-roll already played part of each track, so the fades
    shorten to fit what is left, and a track's fade-out never starts before its fade-in ended."""
    rig = Rig({"volume": {"start_db": -12, "default_db": -12}})
    rig.crossfade_s = 6
    tracks = [rig.track(f"t{i}", 14) for i in range(4)]
    rig.auto_next = tracks[1:]
    rig.mixer.play(tracks[0], fade_in_s=1)
    rig.run(50)
    assert [n for k, n in rig.kinds() if k == "track_started"] == ["t0", "t1", "t2", "t3"]
    start, end = rig.when("track_started", "t0") + 1.0, rig.when("track_started", "t3") + 2.0
    for i in range(int((end - start) / 0.05)):
        t = start + i * 0.05
        levels = [rig.level_at(d, t) for d in "ABC"]
        heard = [v for v in levels if v is not None and v > -40]
        assert len(heard) <= 2, (t - 1000, levels)           # never three decks at once
        power = sum(10 ** (v / 10) for v in levels if v is not None)
        assert abs(10 * math.log10(power) - -12) < 0.6, (t - 1000, levels)
    gaps = [rig.when("track_started", f"t{i + 1}") - rig.when("track_started", f"t{i}") for i in range(3)]
    assert all(4.5 < g < 8.5 for g in gaps), gaps                # crossfades of ~5 s, not squeezed to nothing


def test_queue_none_fades_to_silence_at_the_end():
    rig = Rig()
    a = rig.track("a", 30)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(40)
    a_end = rig.out.calls[2][0] + 30
    assert rig.level_at("A", a_end - 2) < rig.level_at("A", a_end - 4) - 10
    assert rig.kinds()[-1] == ("track_ended", "a") and rig.mixer.is_silent


def test_crossfade_to_now_is_equal_power():
    rig = Rig({"volume": {"default_db": -12, "start_db": -12}})
    a, b = rig.track("a", 300), rig.track("b", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    rig.mixer.crossfade_to(b, crossfade_s=6)
    rig.run(12)
    t0 = min(t for t, p in rig.out.gains["B"] if p > 0)
    for i in range(1, 58):
        t = t0 + i * 0.1
        levels = [rig.level_at(d, t) for d in "AB"]
        power = sum(10 ** (v / 10) for v in levels if v is not None)
        assert abs(10 * math.log10(power) - -12) < 0.6
    assert rig.mixer.current == b and rig.kinds()[-1] == ("track_ended", "a")


def test_broken_next_track_is_reported_and_replaced_quickly():
    rig = Rig()
    a, bad, c = rig.track("a", 20), rig.track("bad", 20, fault="error"), rig.track("c", 20)
    rig.auto_next = [bad, c]
    rig.mixer.play(a, fade_in_s=2)
    rig.run(40)
    kinds = rig.kinds()
    assert ("track_failed", "bad") in kinds
    i = kinds.index(("track_failed", "bad"))
    assert kinds[i + 1] == ("needs_track", "a")
    assert ("track_started", "c") in kinds
    a_end = rig.out.calls[2][0] + 20
    silent = [t for t in (a_end - 3 + k * 0.02 for k in range(300))
              if rig.level_at("A", t) is None and rig.level_at("B", t) is None]
    assert len(silent) * 0.02 <= 2.0


def test_stalled_track_fails_and_the_next_one_starts():
    rig = Rig({"audio": {"stall_timeout_s": 1.0}})
    a, b = rig.track("a", 60, fault="stall", stall_at_s=10), rig.track("b", 60)
    rig.auto_next = [b]
    rig.mixer.play(a, fade_in_s=1)
    rig.run(15)
    kinds = rig.kinds()
    assert ("track_failed", "a") in kinds and ("track_started", "b") in kinds
    gap = rig.when("track_started", "b") - rig.when("track_failed", "a")
    assert gap <= 1.0                                   # short settle instead of the full pre-roll
    failed = rig.when("track_failed", "a")
    muted = min(t for t, p in rig.out.gains["A"] if t >= failed and p == 0)
    assert muted - failed >= 0.4                        # faded out, not cut (it may be a false alarm)


def test_an_engine_sleeping_by_the_idle_hint_sees_a_stall_within_the_timeout_and_one_tick():
    """Steady playback ticks once a second (issue 23): a stream that stops advancing is failed at
    most `stall_timeout_s` + 1 s after its last progress, with the shipped 1.5 s."""
    rig = Rig()
    a, b = rig.track("a", 60, fault="stall", stall_at_s=10), rig.track("b", 60)
    rig.auto_next = [b]
    rig.mixer.play(a, fade_in_s=1)
    rig.run(20, by_hint=True)                           # the engine loop: sleep by the hint, then tick
    stalled = rig.out.calls[2][0] + 10                  # a's stream stops 10 s after its play call
    assert rig.when("track_failed", "a") - stalled <= 1.5 + 1.0 + 0.02
    assert ("track_started", "b") in rig.kinds()

def test_pause_resume_stop_and_emergency_are_ramps():
    rig = Rig({"volume": {"start_db": -12}})
    a = rig.track("a", 600)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    rig.mixer.pause(fade_s=3)
    rig.run(2.9 + rig.config.audio.latency_s)
    assert rig.kinds()[-1][0] != "fade_finished"                  # faded, but not yet heard to its end
    rig.run(0.2)
    assert rig.kinds()[-1][0] == "fade_finished" and rig.events[-1][1].detail == {"kind": "pause"}
    assert rig.mixer.is_silent and rig.out.calls[-1][1] == "pause"
    rig.mixer.resume(fade_s=3)
    rig.run(4)
    assert abs(rig.mixer.level_db - -12) < 0.01
    rig.mixer.emergency_stop()
    rig.run(0.52 + rig.config.audio.latency_s)
    assert rig.events[-1][1].detail == {"kind": "emergency"} and rig.mixer.is_silent
    levels = [vlc_percent_to_db(p) for _, p in rig.out.gains["A"] if p]
    down = [levels[i] - levels[i + 1] for i in range(len(levels) - 1)]
    assert max(down) < 3.5          # 0.5 s from -12 to -60: ~2 dB per 20 ms (+ VLC's coarse percent at -60)
    assert rig.kinds()[-2] == ("track_ended", "a")


def test_master_changes_ramp_and_are_capped():
    rig = Rig({"volume": {"start_db": -12, "max_db": -6}})
    a = rig.track("a", 600)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(4)
    assert rig.mixer.set_master_db(10) == -6
    rig.run(0.1)
    assert -12 < rig.mixer.level_db < -6
    rig.run(0.3)
    assert rig.mixer.level_db == -6
    assert rig.mixer.set_master_db(float("nan")) == -6
    assert max(rig.all_gains_db()) <= -6


def test_device_missing_at_start_then_back_resumes_with_a_fade_in():
    rig = Rig({"volume": {"fade_in_s": 5}, "audio": {"device_retry_max_s": 4}})
    rig.out.set_device_present(False)
    rig.mixer.close()
    rig = Rig({"volume": {"fade_in_s": 5}, "audio": {"device_retry_max_s": 4}})
    rig.out.set_device_present(False)
    rig.queue.get()
    a = rig.track("a", 300)
    rig.mixer.close()
    rig.mixer = type(rig.mixer)(rig.out, rig.config, rig.clock)
    rig.mixer.open(rig.queue.put)
    rig.run(0.1)
    assert rig.kinds() == [("device_lost", None)] and not rig.mixer.device_ok
    rig.mixer.play(a, fade_in_s=5)
    rig.run(20)
    checks = [t for t, name, _ in rig.out.calls if name == "load"]
    assert checks == []                                 # nothing plays into a missing device
    rig.out.set_device_present(True)
    rig.run(10)
    assert ("device_restored", None) in rig.kinds() and ("track_started", "a") in rig.kinds()


def test_device_lost_while_playing_stops_and_resumes_where_it_was():
    rig = Rig({"volume": {"fade_in_s": 2}})
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(30)
    rig.out.set_device_present(False)
    rig.run(5)
    assert ("device_lost", None) in rig.kinds() and rig.mixer.is_silent
    rig.out.set_device_present(True)
    rig.run(8)
    loads = [args for _, name, args in rig.out.calls if name == "load"]
    assert loads[-1][1] == a.path and 28 < loads[-1][2] < 31     # resumes where it was
    assert rig.kinds()[-1] == ("track_started", "a")


def test_events_for_replaced_loads_are_ignored():
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    from player.core.media import OutputEvent
    assert rig.mixer.handle(OutputEvent("ended", "A", token=999)) == []
    assert rig.mixer.handle(OutputEvent("error", "B", token=1)) == []


def _apply(rig, op, track, x, dt):
    m = rig.mixer
    if op == "play":
        m.play(track, fade_in_s=dt)
    elif op == "xfade":
        m.crossfade_to(track, crossfade_s=dt)
    elif op == "queue":
        m.queue_next(track, crossfade_s=dt)
    elif op in ("pause", "resume", "stop"):
        getattr(m, op)(dt)
    elif op == "emergency":
        m.emergency_stop()
    elif op == "master":
        m.set_master_db(x)
    elif op in ("unplug", "plug"):
        rig.out.set_device_present(op == "plug")


ops = st.lists(st.tuples(st.sampled_from(["play", "xfade", "queue", "pause", "resume", "stop", "emergency",
                                          "master", "unplug", "plug", "wait"]),
                         st.floats(-40, 40), st.floats(0, 15)), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops, hot=st.floats(-20, 20), trim=st.floats(-12, 12))
def test_no_sequence_of_operations_exceeds_the_cap(ops, hot, trim):
    """The cap bounds what is heard (level_db, relative to the target); the gain stays in the headroom."""
    level_of = TrackLevel(-18.0 - hot, min(0.0, -18.0 - hot + 12.0), -18.0 - hot + 3.0)   # `hot` dB of boost needed

    class Hot:
        def measure_level(self, path, progress=None):
            return level_of
    rig = Rig({"volume": {"max_db": -6, "fade_in_s": 2}}, loudness=Hot())
    tracks = [rig.track(f"t{i}", d, gain_db=trim) for i, d in enumerate((3, 20, None, 40))]
    rig.auto_next = tracks * 3
    for i, (op, x, dt) in enumerate(ops):
        track = tracks[i % len(tracks)]
        _apply(rig, op, track, x, dt)
        rig.run(dt / 3)
        level = rig.mixer.level_db
        assert level is None or level <= -6 + 1e-9
    gains = rig.all_gains_db()
    # heard = gain - need <= cap (VLC's integer percent rounds down), and the true peak stays at -1 dBTP
    assert not gains or max(gains) <= min(hot - 6, -1.0 - level_of.peak_db) + 1e-9


def test_idle_hint_is_fast_while_ramping_and_slow_in_steady_playback():
    rig = Rig({"volume": {"start_db": -12}})
    a = rig.track("a", 600)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(0.5)
    assert rig.mixer.idle_s == 0.02                     # pre-roll
    rig.run(2.5)
    assert 0.02 <= rig.mixer.idle_s < 1.0              # fading in
    rig.run(30)
    assert rig.mixer.idle_s == 1.0                     # steady
    rig.mixer.set_master_db(-20)
    assert rig.mixer.idle_s < 1.0                      # master ramp


def test_sleeping_by_the_idle_hint_sends_the_same_volumes_on_time():
    """The engine may wait `idle_s` between ticks: the device gets the same percents within 20 ms."""
    def scenario(use_hint):
        rig = Rig({"volume": {"start_db": -20, "default_db": -12, "fade_in_s": 10}})
        a, b = rig.track("a", 40), rig.track("b", 40)
        rig.auto_next = [b]
        rig.mixer.play(a, fade_in_s=10)
        rig.run(60, by_hint=use_hint)
        return rig
    every, hinted = scenario(False), scenario(True)
    def percent(rig, deck, t):
        return next((p for when, p in reversed(rig.out.gains[deck]) if when <= t + 1e-9), 0)
    start = every.out.gains["A"][0][0]
    for deck in "AB":
        for i in range(6000):                            # every 10 ms: within one tick (20 ms)
            t = start + i * 0.01
            window = sorted((percent(every, deck, t - 0.021), percent(every, deck, t + 0.021)))
            assert window[0] <= percent(hinted, deck, t) <= window[1], (deck, t - start)
    loads = [(t, args) for t, name, args in every.out.calls if name == "load"]
    hinted_loads = [(t, args) for t, name, args in hinted.out.calls if name == "load"]
    assert [a for _, a in loads] == [a for _, a in hinted_loads]
    assert all(abs(t1 - t2) <= 0.021 for (t1, _), (t2, _) in zip(loads, hinted_loads, strict=True))


def test_device_lost_while_paused_resumes_from_the_paused_place_on_resume():
    rig = Rig({"volume": {"fade_in_s": 2}})
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(20)
    rig.mixer.pause(fade_s=1)
    rig.run(1 + rig.config.audio.latency_s + 0.5)
    paused_at = rig.out.position_s("A")
    rig.out.set_device_present(False)
    rig.run(3)
    rig.out.set_device_present(True)
    rig.run(3)
    assert ("device_restored", None) in rig.kinds() and rig.mixer.is_silent   # still paused
    rig.mixer.resume(fade_s=1)
    rig.run(4)
    loads = [args for _, name, args in rig.out.calls if name == "load"]
    assert loads[-1][1] == a.path and abs(loads[-1][2] - paused_at) < 0.2
    assert not rig.mixer.is_silent


def test_stop_while_device_is_lost_means_nothing_plays_when_it_returns():
    rig = Rig({"volume": {"fade_in_s": 2}})
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(10)
    rig.out.set_device_present(False)
    rig.run(1)
    rig.mixer.stop()
    rig.run(1)
    assert rig.kinds()[-1] == ("fade_finished", None)
    rig.out.set_device_present(True)
    rig.run(5)
    assert rig.mixer.is_silent and [n for _, n, _ in rig.out.calls].count("load") == 1


def test_crossfade_to_during_the_first_pre_roll_never_lets_the_first_track_be_heard():
    rig = Rig()
    a, b = rig.track("a", 300), rig.track("b", 300)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(0.1)
    rig.mixer.crossfade_to(b, crossfade_s=2)
    rig.run(10)
    b_loaded = next(t for t, name, args in rig.out.calls if name == "load" and args[1] == b.path)
    assert all(p == 0 for deck in "AB" for t, p in rig.out.gains[deck] if t <= b_loaded + 1.0)
    assert rig.mixer.current == b and not rig.mixer.is_silent
    assert ("track_started", "a") not in rig.kinds()


def test_a_track_that_ends_early_is_followed_at_once():
    """The file is shorter than its probed length (cut off, replaced on the stick): only the output's
    "ended" says so, and the next track must come in at once, not when the plan thought."""
    rig = Rig({"volume": {"start_db": -12, "default_db": -12}})
    path = Path("/music/truncated.flac")
    rig.out.add_media(path, 30.0)                       # what the output will really play
    rig.auto_next = [rig.track("b", 60)]
    rig.mixer.play(Source(path, 99, duration_s=300.0), fade_in_s=1)
    rig.run(40)
    assert ("track_ended", "truncated") in rig.kinds() and ("track_started", "b") in rig.kinds()
    gap = rig.when("track_started", "b") - rig.when("track_ended", "truncated")
    assert 0 <= gap <= 1.0                                # a short settle, not 270 s of silence


def test_a_start_during_a_stop_fade_with_every_deck_fading_waits_for_a_deck_and_fails_no_track():
    """Two quick skips leave three decks sounding; staff stop, then start again within the stop's
    fade. Every deck is still fading out: the new track waits for the first one to finish (never a
    cut) and plays; it was recorded as failed ("no free deck") and skipped."""
    rig = Rig({"volume": {"start_db": -12, "default_db": -12}})
    a, b, c, d = (rig.track(n, 120) for n in "abcd")
    rig.mixer.play(a, fade_in_s=1)
    rig.run(6)
    rig.mixer.crossfade_to(b, crossfade_s=8)
    rig.run(2.5)                                     # b pre-rolled (2 s) and entering
    rig.mixer.crossfade_to(c, crossfade_s=8)
    rig.run(2.5)
    assert len([x for x in rig.mixer.decks if x.is_sounding]) == 3
    rig.mixer.stop(fade_s=3)
    rig.run(1)
    rig.mixer.play(d, fade_in_s=3)                   # every deck is fading out now
    rig.run(10)
    assert ("track_failed", "d") not in rig.kinds(), rig.kinds()
    assert ("track_started", "d") in rig.kinds()
    stopped = rig.when("track_started", "c") + 2.5
    for slot in "ABC":                               # every deck faded out to silence before it let go
        levels = [rig.level_at(slot, stopped + 0.02 * i) for i in range(500)]
        for before, after in itertools.pairwise(levels):
            assert after is not None or before is None or before < -40, (slot, before)
    started = rig.when("track_started", "d")
    fade_in = [v for v in (max((rig.level_at(s, started + 0.05 * i) or -99) for s in "ABC") for i in range(80))]
    assert fade_in[0] < -30 and max(fade_in) <= -12 + 0.1 and fade_in[-1] == pytest.approx(-12, abs=0.1)


def test_a_track_paused_before_it_was_heard_is_started_on_resume_once():
    """Pause during the first pre-roll: nothing was heard, so nothing fades; on resume the track is
    heard for the first time, and the record says so (a resume of a heard track says nothing)."""
    rig = Rig({"volume": {"start_db": -12}})
    a = rig.track("a", 120)
    rig.mixer.play(a, fade_in_s=2)
    rig.run(0.5)                                     # pre-rolling, muted
    rig.mixer.pause(fade_s=3)
    rig.run(2)
    assert ("track_started", "a") not in rig.kinds()
    rig.mixer.resume(fade_s=3)
    rig.run(6)
    assert rig.kinds().count(("track_started", "a")) == 1, rig.kinds()
    rig.mixer.pause(fade_s=1)                        # heard now: pause and resume say nothing more
    rig.run(2)
    rig.mixer.resume(fade_s=1)
    rig.run(3)
    assert rig.kinds().count(("track_started", "a")) == 1, rig.kinds()
