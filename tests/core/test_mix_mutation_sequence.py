"""When the mix asks for, pre-rolls, crossfades and replaces tracks, to the tick (the mix's sequencer).

Through the MixMachine on a simulated output (tests/core/mix_sim.py), with the shipped
timings: a 1.5 s output latency, a 1.5 s stall timeout, 2 s pre-rolls (0.3 s into a gap),
`needs_track` 10 s before the pre-roll lead (crossfade + 2.5 s), a deck that is heard when it
fails fades out in 0.5 s, never cut. Each figure below is worked out from those, so a test
fails when a boundary moves.
"""

from __future__ import annotations

import pytest

from player.core.media import GainResult, OutputEvent
from player.core.mix_commands import CrossfadeTo, Opened, Pause, Play, QueueNext, Resume, Stop
from tests.core.mix_sim import Sim, track

C = {"volume": {"fade_in_s": 1, "start_db": -12, "default_db": -12}}


def at(sim: Sim, kind: str, name: str | None = None) -> float:
    return next(t for t, e in sim.events if e.kind == kind and (name is None or e.path.stem == name))


def test_needs_track_pre_roll_and_crossfade_come_exactly_when_the_heard_end_asks() -> None:
    sim = Sim(C)
    a, b = track("a", 60), track("b", 60, token=2)
    sim.step(Play(a, 1.0))
    # heard end 60 - 1.5 = 58.5; ask 8 s (default crossfade) + 2.5 s + 10 s before: at 38.0
    assert sim.run_until("needs_track") == pytest.approx(38.0)
    sim.step(QueueNext(b, 6.0))
    sim.run(25.0)
    assert [(t, c.slot, c.source) for t, c in sim.loads][1] == (pytest.approx(50.0), "B", b)   # 6 + 2.5 before
    assert at(sim, "track_started", "b") == pytest.approx(52.5)                                # 6 s before
    assert at(sim, "track_ended", "a") == pytest.approx(58.5)
    assert sim.kinds() == [("track_started", "a"), ("needs_track", "a"), ("track_started", "b"),
                           ("track_ended", "a")]
    assert sim.details("needs_track") == [{}]                    # in good time: not a skip's "now"


def test_a_shorter_crossfade_asked_before_moves_the_question_later() -> None:
    sim = Sim(C)
    sim.step(QueueNext(None, 2.0))          # the crossfade the session will use: the hint
    sim.step(Play(track("a", 60), 1.0))
    assert sim.run_until("needs_track") == pytest.approx(58.5 - 2.0 - 2.5 - 10.0)


def test_a_stream_that_never_starts_fails_after_its_pre_roll_and_the_start_timeout() -> None:
    sim = Sim(C)
    a = track("a")
    sim.silent_starts.add(a.path)
    sim.step(Play(a, 1.0))
    failed = sim.run_until("track_failed", 10)
    assert 3.5 < failed <= 3.6                                   # 2 s pre-roll + min(1.5 s stall, 2 s)
    assert sim.details("track_failed") == [{"reason": "did not start playing"}]
    assert sim.kinds() == [("track_failed", "a"), ("needs_track", "a")]
    assert sim.heard("A") == []


def test_a_stall_while_heard_fades_the_track_out_in_half_a_second_and_the_planned_one_fills_the_gap() -> None:
    sim = Sim(C)
    a, b = track("a", 300), track("b", 300, token=2)
    sim.stall_at[a.path] = 5.0
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(12.0)
    failed = at(sim, "track_failed", "a")
    assert 6.5 < failed < 6.8                                    # 1.5 s without progress after 5.0
    assert sim.details("track_failed") == [{"reason": "stalled: no progress for 1.5 s"}]
    fading = [(t, g) for t, g in sim.gains["A"] if t > failed]
    assert fading[-2][1] is None and fading[-2][0] == pytest.approx(failed + 0.5, abs=0.03)   # faded, never cut
    assert [g for _, g in fading[:-2]] == sorted((g for _, g in fading[:-2]), reverse=True)
    assert fading[-1][0] == pytest.approx(failed + 0.5 + 1.5, abs=0.03)        # released after the drain
    assert sim.loads[1][0] == pytest.approx(failed, abs=0.03) and sim.loads[1][1].source == b
    began = at(sim, "track_started", "b")
    assert began == pytest.approx(failed + 0.3, abs=0.1)                                       # a gap: 0.3 s pre-roll
    assert sim.gain_at("B", began + 1.0) < -18.0                 # it fades in over its planned 4 s crossfade
    assert sim.gain_at("B", began + 4.1) == pytest.approx(-12.0, abs=0.1)
    assert sim.kinds() == [("track_started", "a"), ("track_failed", "a"), ("track_started", "b")]


def test_a_stream_that_ends_before_it_was_heard_is_a_failure_not_an_end() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 1.0), 1.0))
    sim.run(3.0)
    assert sim.kinds() == [("track_failed", "a"), ("needs_track", "a")]
    assert sim.details("track_failed") == [{"reason": "ended before playing (cannot decode?)"}]


def test_a_pre_rolling_next_track_that_fails_asks_again_after_the_one_heard() -> None:
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.broken.add(b.path)
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(35.0)
    assert sim.kinds() == [("track_started", "a"), ("track_failed", "b"), ("needs_track", "a")]
    assert sim.details("needs_track") == [{}]                    # not "now": the heard track goes on
    assert at(sim, "needs_track") == at(sim, "track_failed") == pytest.approx(32.02, abs=0.03)


def test_a_skip_target_that_fails_is_skipped_again_at_once() -> None:
    sim = Sim(C)
    a, b = track("a", 300), track("b", 300, token=2)
    sim.broken.add(b.path)
    sim.step(Play(a, 1.0))
    sim.run(4.0)
    sim.step(CrossfadeTo(b, 3.0))
    sim.run(1.0)
    assert sim.kinds() == [("track_started", "a"), ("track_failed", "b"), ("needs_track", "a")]
    assert sim.details("needs_track") == [{"now": True}]


def test_a_planned_track_without_a_figure_is_heard_on_time_at_the_cautious_level() -> None:
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.figures[b.path] = GainResult()
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(40.0)
    assert 34.5 <= at(sim, "track_started", "b") <= 34.7         # its crossfade's time (38.5 - 4), not 10 s late
    assert at(sim, "track_ended", "a") == pytest.approx(38.5, abs=0.1)


def test_a_track_filling_a_gap_waits_half_a_second_for_its_figure_not_ten() -> None:
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.figures[b.path] = GainResult()
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(30.5)
    sim.step(OutputEvent("error", "A", 1, "decoder died"))
    sim.run(3.0)
    assert sim.kinds() == [("track_started", "a"), ("track_failed", "a"), ("track_started", "b")]
    assert at(sim, "track_started", "b") == pytest.approx(30.5 + 0.3 + 0.5, abs=0.05)


def test_a_lost_device_stops_everything_and_its_return_fades_the_track_in_where_it_was() -> None:
    sim = Sim(C)
    a = track("a", 300)
    sim.step(Opened())
    sim.step(Play(a, 1.0))
    sim.run(10.0)
    sim.present = False
    sim.run(16.0)                                                # probed every 15 s: lost at 15
    assert sim.mix.activity() == "device lost" and sim.decks == {}
    sim.present = True
    sim.run(20.0)                                                # back at the probe at 30
    assert sim.kinds() == [("track_started", "a"), ("device_lost", None), ("device_restored", None),
                           ("track_started", "a")]
    assert sim.details("device_lost") == [{"reason": "audio device disappeared"}]
    assert [(t, c.source.start_s) for t, c in sim.loads] == [(0.0, 0.0), (pytest.approx(30.0), pytest.approx(15.0))]
    assert sim.mix.activity() == "playing"


def test_a_device_lost_before_the_next_pre_roll_keeps_the_plan_for_its_return() -> None:
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.step(Opened())
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(33.0)                                                # b pre-rolls from 32
    assert sim.decks["B"].source == b
    sim.step(OutputEvent("device_lost", detail="pulse gone"))
    sim.step(OutputEvent("device_back"))
    sim.run(10.0)
    assert sim.details("device_lost") == [{"reason": "pulse gone"}]
    assert [(c.source.path.stem, round(c.source.start_s, 1)) for _, c in sim.loads] == [
        ("a", 0.0), ("b", 0.0), ("a", 33.0), ("b", 0.0)]
    assert ("needs_track", "a") not in sim.kinds()              # b still follows: nothing asked again


def test_a_device_lost_with_nothing_played_yet_brings_the_track_back_from_its_start() -> None:
    sim = Sim(C)
    a = track("a", 300, start_s=12.0)
    sim.step(Play(a, 1.0))
    sim.run(0.5)
    sim.step(OutputEvent("device_lost"))
    assert sim.details("device_lost") == [{"reason": "device lost"}]
    sim.step(OutputEvent("device_back"))
    sim.run(1.0)
    assert [c.source.start_s for _, c in sim.loads] == [12.0, 12.0]


def test_a_device_lost_while_stopped_brings_nothing_back() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 300), 1.0))
    sim.run(5.0)
    sim.step(Stop(1.0))
    sim.run(4.0)
    sim.step(OutputEvent("device_lost"))
    sim.step(OutputEvent("device_back"))
    sim.run(2.0)
    assert len(sim.loads) == 1 and sim.decks == {}
    assert ("device_restored", None) in sim.kinds()


def test_a_track_ending_during_a_pause_fade_finishes_the_pause_at_once() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 10.5), 1.0))
    sim.run(7.0)
    sim.step(Pause(3.0))
    sim.run(4.0)                        # the stream ends at 10.5, before the fade is over and heard (11.5)
    assert sim.kinds()[-2:] == [("track_ended", "a"), ("fade_finished", None)]
    assert at(sim, "fade_finished") == pytest.approx(10.5, abs=0.03)
    assert sim.details("fade_finished") == [{"kind": "pause"}]


def test_a_resumed_deck_is_heard_again_at_once_whatever_its_figure() -> None:
    sim = Sim(C)
    a = track("a", 300)
    sim.step(Play(a, 1.0))
    sim.run(5.0)
    sim.step(Pause(1.0))
    sim.run(4.0)
    sim.figures[a.path] = GainResult()                           # no figure (as if it were lost)
    sim.step(Resume(1.0))
    sim.run(1.0)
    assert sim.played and sim.played[0][0] == pytest.approx(9.0)
    assert sim.gain_at("A", sim.now) is not None                 # heard again within a second


def test_a_fourth_track_asked_while_three_decks_sound_comes_in_once_the_oldest_has_faded() -> None:
    sim = Sim(C)
    a, b, c, d = (track(n, 300, token=i) for i, n in enumerate("abcd", 1))
    sim.step(Play(a, 1.0))
    sim.run(4.0)
    sim.step(CrossfadeTo(b, 8.0))
    sim.run(4.5)
    sim.step(CrossfadeTo(c, 8.0))
    sim.run(2.5)
    assert sorted(sim.decks) == ["A", "B", "C"]                  # a and b fading out, c coming in
    sim.step(CrossfadeTo(d, 8.0))
    sim.run(15.0)
    assert [(round(t, 2), c.slot, c.source.path.stem, c.token) for t, c in sim.loads] == [
        (0.0, "A", "a", 1), (4.0, "B", "b", 2), (8.5, "C", "c", 3), (15.62, "A", "d", 4)]   # a's slot, once drained
    assert [n for k, n in sim.kinds() if k == "track_started"] == ["a", "b", "c", "d"]
    assert at(sim, "track_ended", "a") == pytest.approx(14.1)
    began = at(sim, "track_started", "d")
    assert sim.gain_at("A", began + 2.0) < -18.0                 # d crossfades in over the 8 s asked, not cut in
    assert sim.gain_at("A", began + 8.1) == pytest.approx(-12.0, abs=0.1)


def test_events_of_an_older_load_on_the_same_slot_are_ignored() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 300), 1.0))
    sim.run(5.0)
    sim.step(OutputEvent("device_lost"))
    sim.step(OutputEvent("device_back"))
    sim.run(4.0)
    assert [(c.slot, c.token) for _, c in sim.loads] == [("A", 1), ("A", 2)]
    sim.step(OutputEvent("error", "A", 1, "old"))
    sim.step(OutputEvent("ended", "A", 1))
    assert ("track_failed", "a") not in sim.kinds() and ("track_ended", "a") not in sim.kinds()
    sim.step(OutputEvent("error", "A", 2, "new"))
    assert sim.kinds()[-2:] == [("track_failed", "a"), ("needs_track", "a")]


def test_a_second_loss_report_is_one_loss_and_the_log_says_each_step(caplog) -> None:
    import logging
    caplog.set_level(logging.INFO, "player.core")
    sim = Sim(C)
    sim.step(Opened())
    sim.step(Play(track("a", 300), 1.0))
    sim.run(5.0)
    sim.step(OutputEvent("device_lost", detail="pulse gone"))
    sim.step(OutputEvent("device_lost", detail="again"))
    assert sim.details("device_lost") == [{"reason": "pulse gone"}]
    sim.run(1.0)                                                 # probed again a second later: back
    assert sim.kinds()[-1] == ("device_restored", None)
    assert {"audio device lost: pulse gone", "audio device back"} <= set(caplog.messages)
    assert "again" not in caplog.text


def test_a_device_lost_and_back_while_silent_plays_nothing() -> None:
    sim = Sim(C)
    sim.step(Opened())
    sim.step(OutputEvent("device_lost"))
    sim.step(OutputEvent("device_back"))
    sim.run(1.0)
    assert sim.kinds() == [("device_lost", None), ("device_restored", None)] and sim.loads == []


def test_the_track_back_after_a_device_loss_fades_in_over_the_configured_fade_in() -> None:
    sim = Sim({"volume": {"fade_in_s": 4, "start_db": -12, "default_db": -12}})
    sim.step(Opened())
    sim.step(Play(track("a", 300), 1.0))
    sim.run(10.0)
    sim.present = False
    sim.run(6.0)
    sim.present = True
    sim.run(20.0)
    back = [t for t, e in sim.events if e.kind == "track_started"][-1]
    assert back == pytest.approx(20.1, abs=0.05)                 # lost at 15, probed back at 18, 2 s pre-roll
    assert sim.gain_at("A", back + 2.0) == pytest.approx(-36.0, abs=1.0)   # dB-linear from -60 to -12 over 4 s
    assert sim.gain_at("A", back + 4.1) == pytest.approx(-12.0)


@pytest.mark.parametrize("command,kind,ended", [(Pause, "pause", []), (Stop, "stop", [("track_ended", "a")])])
def test_a_fade_out_is_finished_when_its_end_has_been_heard(command, kind, ended) -> None:
    """A pause holds the track (it goes on after the resume); a stop ends it."""
    sim = Sim(C)
    sim.step(Play(track("a", 300), 1.0))
    sim.run(5.0)
    sim.step(command(2.0))
    sim.run(5.0)
    assert sim.kinds() == [("track_started", "a"), *ended, ("fade_finished", None)]
    assert at(sim, "fade_finished") == pytest.approx(5.0 + 2.0 + 1.5)      # the fade, then the output's latency
    assert sim.details("fade_finished") == [{"kind": kind}]


def test_a_track_ending_during_a_stop_fade_finishes_the_stop_at_once() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 10.5), 1.0))
    sim.run(7.0)
    sim.step(Stop(3.0))
    sim.run(4.0)
    assert sim.kinds()[-2:] == [("track_ended", "a"), ("fade_finished", None)]
    assert at(sim, "fade_finished") == pytest.approx(10.5, abs=0.03)
    assert sim.details("fade_finished") == [{"kind": "stop"}]


def test_a_failure_is_logged_with_its_deck_file_and_reason(caplog) -> None:
    import logging
    caplog.set_level(logging.WARNING, "player.core")
    sim = Sim(C)
    sim.step(Play(track("a", 300), 1.0))
    sim.run(3.0)
    sim.step(OutputEvent("error", "A", 1, "decoder died"))
    assert "deck A: /music/a.flac: decoder died" in caplog.messages


def test_nothing_to_follow_fades_the_track_to_silence_over_the_crossfade_by_its_heard_end() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 40), 1.0))
    sim.run(3.0)
    sim.step(QueueNext(None, 6.0))
    sim.run(40.0)
    assert sim.gain_at("A", 32.4) == -12.0                       # 38.5 - 6 s: not yet
    assert -13.0 < sim.gain_at("A", 32.6) < -12.0
    assert sim.gain_at("A", 35.5) == pytest.approx(-36.0, abs=1.5)   # dB-linear to the floor
    assert sim.gain_at("A", 38.6) is None
    assert sim.kinds() == [("track_started", "a"), ("track_ended", "a")]


def test_a_very_short_fade_to_silence_is_still_silent_at_the_heard_end() -> None:
    sim = Sim(C)
    sim.step(Play(track("a", 40), 1.0))
    sim.run(3.0)
    sim.step(QueueNext(None, 0.4))
    sim.run(40.0)
    assert sim.gain_at("A", 38.0) == -12.0
    assert sim.gain_at("A", 38.45) < -45.0                       # 0.4 s to the floor: nearly there
    assert sim.gain_at("A", 38.55) is None


@pytest.mark.parametrize("how", ["fails", "ends early"])
def test_the_ready_next_track_comes_in_at_once_when_the_heard_one_stops_short(how) -> None:
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    if how == "ends early":
        sim.lengths[a.path] = 36.2                              # shorter than its tags said
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 2.0))
    sim.run(36.2 if how == "fails" else 38.0)                    # b pre-rolled from 34.0, ready at 36.0
    if how == "fails":
        sim.step(OutputEvent("error", "A", 1, "decoder died"))
        sim.run(2.0)
    assert sim.kinds() == [("track_started", "a"),
                           ("track_failed" if how == "fails" else "track_ended", "a"), ("track_started", "b")]
    began = at(sim, "track_started", "b")
    assert began == pytest.approx(36.2, abs=0.03)
    assert sim.gain_at("B", began + 0.1) < -30.0                 # fading in over its 2 s crossfade
    assert -20.0 < sim.gain_at("B", began + 0.6) < -15.0


def test_a_track_that_ends_early_with_nothing_planned_asks_for_what_follows_it() -> None:
    sim = Sim(C)
    a = track("a", 300)
    sim.lengths[a.path] = 20.0                                   # a truncated file
    sim.step(Play(a, 1.0))
    sim.run(22.0)
    assert sim.kinds() == [("track_started", "a"), ("track_ended", "a"), ("needs_track", "a")]
    assert sim.details("needs_track") == [{}]
    assert at(sim, "needs_track") == pytest.approx(20.02)


def test_a_failure_during_a_crossfade_in_fades_the_new_track_down_from_where_it_was_never_up() -> None:
    sim = Sim(C)
    a, b = track("a", 300), track("b", 300, token=2)
    sim.step(Play(a, 1.0))
    sim.run(4.0)
    sim.step(CrossfadeTo(b, 8.0))
    sim.run(4.0)                                                 # b 2 s into its 8 s crossfade
    before, failed = sim.gain_at("B", sim.now), sim.now
    assert -30.0 < before < -14.0
    sim.step(OutputEvent("error", "B", 2, "decoder died"))
    sim.run(1.0)
    after = [g for t, g in sim.gains["B"] if t > failed]
    assert after[-1] is None and all(g < before for g in after[:-1])
    assert after[:-1] == sorted(after[:-1], reverse=True)


def test_a_planned_track_keeps_waiting_for_its_figure_until_its_crossfade_must_begin() -> None:
    """Pre-rolled by 34.0 without a figure; the figure comes at 34.2, before the crossfade at 34.5."""
    from player.core.level_model import TrackLevel
    sim = Sim(C)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.figures[b.path] = GainResult()
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 4.0))
    sim.run(34.2)
    sim.figures[b.path] = GainResult(TrackLevel(-22.0, -10.0), final=True)    # needs +4 dB
    sim.run(5.0)
    assert sim.kinds() == [("track_started", "a"), ("track_started", "b"), ("track_ended", "a")]
    assert sim.gain_at("B", 38.6) == pytest.approx(-8.0, abs=0.3)             # its own level, not the cautious -22


def test_a_skip_target_without_a_figure_waits_its_ten_seconds_while_the_current_track_plays_on() -> None:
    sim = Sim(C)
    a, b = track("a", 300), track("b", 300, token=2)
    sim.figures[b.path] = GainResult()
    sim.step(Play(a, 1.0))
    sim.run(5.0)
    sim.step(CrossfadeTo(b, 3.0))
    sim.run(15.0)
    assert sim.kinds() == [("track_started", "a"), ("track_started", "b")]
    assert at(sim, "track_started", "b") == pytest.approx(5.0 + 2.0 + 10.0, abs=0.15)   # not a gap: no hurry
    assert sim.gain_at("A", 16.0) == -12.0                       # a is heard meanwhile, unchanged


def test_a_skip_into_a_short_track_crossfades_over_half_of_what_is_left_of_it() -> None:
    """b lasts 6 s: after its 2 s pre-roll and the 1.5 s latency, 2.5 s are left to hear; 1.25 s of fade."""
    sim = Sim(C)
    sim.step(Play(track("a", 300), 1.0))
    sim.run(5.0)
    sim.step(CrossfadeTo(track("b", 6, token=2), 8.0))
    sim.run(6.0)
    began = at(sim, "track_started", "b")
    assert began == pytest.approx(7.1, abs=0.05)
    assert sim.gain_at("B", began + 1.3) == pytest.approx(-12.0, abs=0.1)    # in, fully, within 1.25 s
    assert sim.gain_at("A", began + 1.3) is None                             # and a out
    assert at(sim, "track_ended", "a") == pytest.approx(began + 1.25, abs=0.1)
