"""The transport's commands at the awkward moments: mid-crossfade, mid-fade, twice, before anything is heard.

Through the MixMachine on a simulated output (tests/core/mix_sim.py). What is checked is
what is heard (never louder than before a fade, no deck left sounding or loaded that no one
owns) and what the session is told. Master at -12 dB.
"""

from __future__ import annotations

from player.core.mix_commands import CrossfadeTo, Pause, Play, Resume, Stop
from tests.core.mix_sim import Sim, track

C = {"volume": {"fade_in_s": 1, "start_db": -12, "default_db": -12}}


def test_a_resume_during_the_pause_fade_never_rises_above_the_level_before_the_pause() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 300), 1.0))
    sim.run(5.0)
    sim.step(Pause(3.0))
    sim.run(1.0)
    sim.step(Resume(2.0))
    sim.run(4.0)
    after = [g for t, g in sim.gains["A"] if t > 5.0 and g is not None]
    assert max(after) == -12.0 and after[-1] == -12.0


def test_a_pause_during_a_crossfade_ends_the_outgoing_track_and_holds_only_the_incoming_one() -> None:
    sim = Sim(C)
    a, b = track("a", 300), track("b", 300, token=2)
    sim.step(Play(a, 1.0))
    sim.run(5.0)
    sim.step(CrossfadeTo(b, 8.0))
    sim.run(5.0)                                                 # both sound
    sim.step(Pause(1.0))
    sim.run(3.0)
    assert sim.mix.mode == "paused" and sorted(sim.decks) == ["B"] and not sim.decks["B"].playing
    assert sim.kinds()[-2:] == [("track_ended", "a"), ("fade_finished", None)]
    sim.step(Resume(1.0))
    sim.run(3.0)
    assert sorted(sim.decks) == ["B"] and sim.decks["B"].playing and sim.gain_at("B", sim.now) == -12.0


def test_a_second_pause_before_anything_was_heard_keeps_the_track_for_the_resume() -> None:
    sim = Sim(C)
    a = track("a", 300)
    sim.step(Play(a, 1.0))
    sim.run(0.5)
    sim.step(Pause(1.0))
    sim.run(1.0)
    sim.step(Pause(1.0))
    sim.run(1.0)
    assert sim.details("fade_finished") == [{"kind": "pause"}, {"kind": "pause"}]
    sim.step(Resume(1.0))
    sim.run(4.0)
    assert [c.source for _, c in sim.loads] == [a, a] and sim.gain_at("A", sim.now) == -12.0


def test_a_stop_with_nothing_playing_is_finished_at_once_as_a_stop() -> None:
    sim = Sim(C)
    sim.step(Stop(1.0))
    assert sim.kinds() == [("fade_finished", None)] and sim.details("fade_finished") == [{"kind": "stop"}]


def test_a_skip_during_the_first_pre_roll_frees_its_deck_for_the_new_track() -> None:
    sim = Sim(C)
    a, b = track("a", 300), track("b", 300, token=2)
    sim.step(Play(a, 1.0))
    sim.run(0.5)
    sim.step(CrossfadeTo(b, 3.0))
    assert [(c.slot, c.source) for _, c in sim.loads] == [("A", a), ("A", b)]
    assert {slot: d.source for slot, d in sim.decks.items()} == {"A": b}


def test_a_second_skip_while_the_first_target_pre_rolls_replaces_it() -> None:
    sim = Sim(C)
    a, b, c = track("a", 300), track("b", 300, token=2), track("c", 300, token=3)
    sim.step(Play(a, 1.0))
    sim.run(5.0)
    sim.step(CrossfadeTo(b, 3.0))
    sim.run(0.5)
    sim.step(CrossfadeTo(c, 3.0))
    sim.run(0.5)
    assert {slot: d.source for slot, d in sim.decks.items()} == {"A": a, "B": c}
    sim.run(5.0)
    assert [n for k, n in sim.kinds() if k == "track_started"] == ["a", "c"]


def test_a_start_during_a_stop_fade_lets_the_old_track_fade_on_down_never_up() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 300), 1.0))
    sim.run(5.0)
    sim.step(Stop(4.0))
    sim.run(2.0)                                                 # half way down
    before = sim.gain_at("A", sim.now)
    started = sim.now
    sim.step(Play(track("b", 300, token=2), 1.0))
    sim.run(4.0)
    after = [g for t, g in sim.gains["A"] if t > started]
    fading = after[:after.index(None)]                           # then muted, then released
    assert fading and all(g < before for g in fading) and fading == sorted(fading, reverse=True)
