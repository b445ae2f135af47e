"""What the mix tells its shell: how long it may sleep, what staff see it doing, what is heard.

Through the MixMachine on a simulated output (tests/core/mix_sim.py) and what the output
shell reads of the mix (`idle_s`, `activity`, `heard_db`, as player/engine/loop.py
does). The engine sleeps by `idle_s` between ticks, so a figure too long would coarsen a
fade or miss a crossfade's start; too short only costs CPU. Master at -12 dB.
"""

from __future__ import annotations

import pytest

from player.core.media import GainResult, OutputEvent
from player.core.mix_commands import CrossfadeTo, LoadRefused, Opened, Pause, Play, QueueNext, Resume, SetMaster, Stop
from tests.core.mix_sim import Sim, track

C = {"volume": {"fade_in_s": 1, "start_db": -12, "default_db": -12}}


def playing(length_s: float = 60.0) -> Sim:
    sim = Sim(C)
    sim.step(Opened())                    # the device is probed now and every 15 s
    sim.step(Play(track("a", length_s), 1.0))
    return sim


def test_steady_playback_ticks_once_a_second_but_never_past_the_device_probe() -> None:
    sim = playing()
    sim.run(10.0)
    assert sim.mix.idle_s(10.0) == 1.0
    assert sim.mix.idle_s(14.8) == pytest.approx(0.2)
    assert sim.mix.idle_s(14.99) == 0.02                         # at least one tick
    sim = Sim(C)
    sim.step(Opened())
    assert sim.mix.idle_s(0.0) == 1.0 and sim.mix.idle_s(14.8) == pytest.approx(0.2)


def test_a_pre_roll_or_a_fade_ticks_every_20_ms() -> None:
    sim = playing()
    assert sim.mix.idle_s(0.0) == 0.02                           # loading
    sim.run(2.1)
    assert sim.mix.idle_s(sim.now) == 0.02                       # fading in: a percent every tick
    sim.run(3.0)
    assert sim.mix.idle_s(sim.now) == 1.0
    sim.step(SetMaster(-30.0))
    assert sim.mix.idle_s(sim.now) == 0.02                       # a staff change ramps


def test_near_the_end_the_tick_comes_in_time_to_ask_for_the_track_to_come() -> None:
    sim = playing()
    sim.run(47.3)
    # heard end 58.5: the question is due 8 s + 2.5 s before it, less a tick's 1 s: at 47.0
    assert sim.mix.idle_s(46.8) == pytest.approx(0.2)
    assert sim.mix.idle_s(47.1) == 0.02
    sim.step(QueueNext(track("b", 60, token=2), 2.0))          # a shorter crossfade planned: later
    assert sim.mix.idle_s(47.3) == 1.0


def test_the_tick_comes_when_a_stop_fade_is_heard_and_when_a_faded_deck_lets_go() -> None:
    """After its ramp, a stop fade is still playing out of the output for `audio.latency_s`: the
    mix is stopped (and a start may take a deck) at that moment, not a second's tick later."""
    sim = Sim({**C, "audio": {"latency_s": 0.3}})
    sim.step(Opened())
    sim.step(Play(track("a", 60), 1.0))
    sim.run(10.0)
    sim.step(Stop(2.0))
    sim.run(2.0)                                   # the ramp is over; the output plays 0.3 s more of it
    assert sim.mix.mode == "stopping"
    assert sim.mix.idle_s(sim.now) == pytest.approx(0.3)
    sim = Sim({**C, "audio": {"latency_s": 0.3}})
    sim.step(Opened())
    sim.step(Play(track("a", 60), 1.0))
    sim.run(10.0)
    sim.step(CrossfadeTo(track("b", 60, token=2), 1.0))
    sim.run_until("track_ended")                    # a faded out: muted, draining what the output holds
    draining = [d for d in sim.mix.slots.live() if d.state.name == "DRAINING"]
    assert len(draining) == 1 and sim.mix.idle_s(sim.now) <= draining[0].drain_until - sim.now + 1e-9

def test_what_staff_see_the_mix_doing() -> None:
    sim = Sim(C)
    assert sim.mix.activity() == "silent"
    b = track("b", 300)
    sim.figures[b.path] = GainResult()
    sim.step(Play(b, 1.0))
    sim.run(3.0)
    assert sim.mix.activity() == "preparing"                     # pre-rolled, waiting for its loudness
    sim.run(10.0)
    assert sim.mix.activity() == "playing"
    sim.step(Pause(2.0))
    assert sim.mix.activity() == "pausing"
    sim.run(4.0)
    assert sim.mix.activity() == "paused"
    sim.step(OutputEvent("device_lost"))
    assert sim.mix.activity() == "device lost"


def test_a_playing_mix_whose_track_failed_before_it_was_heard_is_silent_not_preparing() -> None:
    sim = Sim(C)
    a = track("a")
    sim.step(Play(a, 1.0))
    sim.step(LoadRefused("A", 1, "no such file"))
    assert sim.mix.mode == "playing" and sim.mix.activity() == "silent"


def test_what_is_heard_holds_the_master_level_through_an_equal_power_crossfade() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 40), 1.0))
    sim.step(QueueNext(track("b", 300, token=2), 6.0))
    assert sim.mix.heard_db(0.0) is None
    sim.run(30.0)
    heard = []
    while sim.now < 40.0:
        sim.tick()
        heard.append(sim.mix.heard_db(sim.now))
    assert ("track_started", "b") in sim.kinds() and ("track_ended", "a") in sim.kinds()
    assert min(heard) == pytest.approx(-12.0) and max(heard) == pytest.approx(-12.0)


def test_a_fade_in_is_heard_below_the_master_until_it_ends() -> None:
    sim = playing()
    sim.run(2.5)
    assert sim.mix.heard_db(sim.now) < -30.0
    sim.run(1.0)
    assert sim.mix.heard_db(sim.now) == pytest.approx(-12.0)
    sim.step(Stop(2.0))
    sim.run(4.0)
    assert sim.mix.heard_db(sim.now) is None


def test_a_track_ended_is_reported_once_and_never_for_a_failed_or_unheard_one() -> None:
    sim = Sim(C)
    a, b = track("a", 20), track("b", 300, token=2)
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(25.0)
    sim.step(CrossfadeTo(track("c", 300, token=3), 2.0))
    sim.run(5.0)
    sim.step(Stop(1.0))
    sim.run(5.0)
    ended = [n for k, n in sim.kinds() if k == "track_ended"]
    assert ended == ["a", "b", "c"]


def test_a_resume_brings_back_the_paused_track_without_a_second_start() -> None:
    sim = playing(300)
    sim.run(6.0)
    sim.step(Pause(1.0))
    sim.run(3.0)
    sim.step(Resume(1.0))
    sim.run(3.0)
    assert [n for k, n in sim.kinds() if k == "track_started"] == ["a"]
    assert sim.mix.heard_db(sim.now) == pytest.approx(-12.0)


def test_an_output_refusing_the_pre_roll_frees_its_slot_and_asks_for_another_track(caplog) -> None:
    import logging
    caplog.set_level(logging.WARNING, "player.core")
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(32.1)                                                # b pre-rolls from 32.0
    sim.step(LoadRefused("B", 2, "gone"))
    assert sim.kinds()[:2] == [("track_started", "a"), ("track_failed", "b")]
    assert sim.kinds()[2][0] == "needs_track" and sim.details("needs_track") == [{}]
    assert sorted(sim.decks) == ["A"] and sim.mix.current is not None and sim.mix.next is None
    assert "cannot start /music/b.flac: gone" in caplog.messages


def test_a_skip_the_output_refuses_asks_for_the_next_skip_at_once() -> None:
    sim = playing(300)
    sim.run(4.0)
    sim.step(CrossfadeTo(track("b", 300, token=2), 3.0))
    sim.step(LoadRefused("B", 2, "gone"))
    assert sim.details("track_failed") == [{"reason": "gone"}] and sim.details("needs_track") == [{"now": True}]


def test_a_track_filling_a_gap_fades_in_over_half_a_second_at_least() -> None:
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 0.1))
    sim.run(20.0)
    sim.step(OutputEvent("error", "A", 1, "decoder died"))
    sim.run(3.0)
    began = [t for t, e in sim.events if e.kind == "track_started"][-1]
    assert began == pytest.approx(20.38, abs=0.05)
    assert sim.gain_at("B", began + 0.2) < -15.0                # not the 0.1 s asked: never a jump into a gap
    assert sim.gain_at("B", began + 0.55) == pytest.approx(-12.0, abs=0.1)


def test_a_paused_track_near_its_end_lets_the_engine_sleep() -> None:
    sim = playing()
    sim.run(47.8)                                                # 10.7 s before the heard end
    sim.step(Pause(1.0))
    sim.run(3.0)
    assert sim.mix.mode == "paused" and sim.mix.idle_s(sim.now) == 1.0   # nothing is due while it is paused


def test_a_slow_ramp_never_hides_a_device_probe_due_within_a_tick() -> None:
    from player.core.level_model import TrackLevel
    from player.core.mix_commands import BeginLevel
    sim = Sim({"volume": {"fade_in_s": 1, "start_db": -12, "default_db": -6}})
    a = track("a", 300)
    sim.figures[a.path] = GainResult(TrackLevel(-36.0, -27.0), final=True)
    sim.step(Opened())
    sim.step(BeginLevel(-6.0))
    sim.step(Play(a, 1.0))
    sim.run(14.0)
    assert not sim.mix.master.ramp.done(14.0)                    # the master still rising (0.1 dB/s)
    assert sim.mix.idle_s(14.9) == pytest.approx(0.1)
    assert sim.mix.idle_s(14.99) == 0.02                         # the probe at 15.0: one tick, not two


def test_a_start_late_in_a_stop_fade_lets_the_old_track_finish_that_fade_on_time() -> None:
    sim = playing(300)
    sim.run(5.0)
    sim.step(Stop(2.0))                                          # silent at 7.0
    sim.run(1.5)
    sim.step(Play(track("b", 300, token=2), 1.0))
    sim.run(3.0)
    assert sim.gain_at("A", 6.9) is not None and sim.gain_at("A", 7.0) is None


def test_a_second_skip_during_a_crossfade_fades_the_half_risen_track_down_from_where_it_is() -> None:
    sim = playing(300)
    sim.run(5.0)
    sim.step(CrossfadeTo(track("b", 300, token=2), 8.0))
    sim.run(4.0)
    sim.step(CrossfadeTo(track("c", 300, token=3), 4.0))
    sim.run(4.0)
    began = [t for t, e in sim.events if e.kind == "track_started"][-1]
    assert sim.kinds()[-1] == ("track_started", "c") and began == pytest.approx(11.0, abs=0.05)
    level = sim.gain_at("B", began)
    assert -18.0 < level < -14.0                                 # b had not reached -12 yet
    assert all(g is None or g <= level for t, g in sim.gains["B"] if t > began)


def test_a_failure_while_the_next_track_pre_rolls_brings_it_in_after_a_short_settle() -> None:
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 2.0))
    sim.run(34.5)                                                # b loaded at 34.0: 2 s of pre-roll ahead
    sim.step(OutputEvent("error", "A", 1, "decoder died"))
    sim.run(2.0)
    assert sim.kinds() == [("track_started", "a"), ("track_failed", "a"), ("track_started", "b")]
    assert at_time(sim, "track_started", "b") == pytest.approx(34.56, abs=0.05)   # 0.3 s from its load: due


def at_time(sim: Sim, kind: str, name: str) -> float:
    return next(t for t, e in sim.events if e.kind == kind and e.path is not None and e.path.stem == name)


def test_a_device_lost_between_tracks_brings_nothing_back_but_the_next_track_still_plays() -> None:
    sim = Sim(C)
    a = track("a", 300)
    sim.lengths[a.path] = 10.0                                   # ends early; the session has not answered yet
    sim.step(Opened())
    sim.step(Play(a, 1.0))
    sim.run(11.0)
    assert sim.kinds()[-1] == ("needs_track", "a") and sim.decks == {}
    sim.step(OutputEvent("device_lost"))
    sim.step(OutputEvent("device_back"))
    sim.run(1.0)
    assert sim.kinds()[-2:] == [("device_lost", None), ("device_restored", None)] and sim.decks == {}
    sim.step(QueueNext(track("b", 300, token=2), 4.0))
    sim.run(3.0)
    assert sim.kinds()[-1] == ("track_started", "b")
