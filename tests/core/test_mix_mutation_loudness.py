"""How a deck's loudness figure decides when it is heard and how loud (the mix's decks on their slots).

Through the MixMachine on a simulated output (tests/core/mix_sim.py): a track waits for
its loudness figure before it is heard (10 s at most from silence), a provisional figure
over 20 s of audio is good enough, an unmeasurable file plays at the cautious level and says
so in the log, and a figure that arrives while the track is heard moves its level as a slow
glide, never a step. Master at -12 dB throughout; the cautious need is -10 dB (a file
assumed as hot as -8 LUFS against the -18 LUFS target), so "cautious" is heard at -22 dB.
"""

from __future__ import annotations

import logging

import pytest

from player.core.gain import db_to_vlc_percent
from player.core.level_model import TrackLevel
from player.core.media import GainResult
from player.core.mix_commands import BeginLevel, LoadDeck, Measure, Play, QueueNext
from tests.core.mix_sim import Sim, track

LEVELS = {"volume": {"fade_in_s": 1, "start_db": -12, "default_db": -12}}
NOT_YET = GainResult()                                           # nothing measured so far
EASY = TrackLevel(-22.0, -10.0)                                  # needs +4 dB; its peak allows +9


def started(figure: GainResult | None, config: dict = LEVELS) -> tuple[Sim, float]:
    """A 300 s track played from silence with `figure` for its loudness; returns the sim and its start."""
    sim = Sim(config)
    a = track("a", 300)
    if figure is not None:
        sim.figures[a.path] = figure
    sim.step(BeginLevel(-12.0))
    sim.step(Play(a, 1.0))
    return sim, sim.run_until("track_started", 30)


def heard_now(sim: Sim, slot: str = "A") -> float | None:
    return sim.gain_at(slot, sim.now)


def percent(gain_db: float | None) -> int:
    """VLC's integer volume for a gain: gains are sent only when it changes, so levels compare by it."""
    return db_to_vlc_percent(gain_db, 18.0)


def test_a_load_asks_for_an_urgent_measurement_of_what_it_loads() -> None:
    sim = Sim(LEVELS)
    a = track("a")
    sim.step(Play(a, 1.0))
    assert sim.measured == [Measure(a.path, 0)]
    assert [c for _, c in sim.loads] == [LoadDeck("A", a, 1)]


def test_a_track_without_a_figure_waits_ten_seconds_after_its_pre_roll_then_plays_cautiously(caplog) -> None:
    caplog.set_level(logging.WARNING, "player.core")
    sim, at = started(NOT_YET)
    assert at == pytest.approx(2.0 + 10.0, abs=0.05)             # pre-roll, then at most 10 s of waiting
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-22.0)
    assert "a.flac: loudness not measured in time; playing it at a cautious -10.0 dB" in caplog.messages


def test_a_figure_arriving_while_it_waits_lets_it_be_heard_then_at_its_own_level() -> None:
    sim = Sim(LEVELS)
    a = track("a", 300)
    sim.figures[a.path] = NOT_YET
    sim.step(BeginLevel(-12.0))
    sim.step(Play(a, 1.0))
    sim.run(5.0)
    assert sim.details("track_started") == [] and sim.heard("A") == []
    sim.figures[a.path] = GainResult(EASY, final=True)
    at = sim.run_until("track_started", 2)
    assert at == pytest.approx(5.0, abs=0.1)
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-12.0 + 4.0)


def test_a_provisional_figure_over_twenty_seconds_of_audio_is_used_at_once() -> None:
    sim, at = started(GainResult(EASY, analysed_s=20.0))
    assert at == pytest.approx(2.0, abs=0.1)
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-8.0)


def test_a_provisional_figure_over_less_audio_is_waited_for_then_used_as_the_best_so_far(caplog) -> None:
    caplog.set_level(logging.WARNING, "player.core")
    sim, at = started(GainResult(EASY, analysed_s=19.9))
    assert at == pytest.approx(12.0, abs=0.1)
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-8.0)                 # the best figure so far, not the cautious one
    assert "cautious" not in caplog.text


def test_an_unmeasurable_file_is_heard_at_once_at_the_cautious_level_and_the_log_says_why(caplog) -> None:
    caplog.set_level(logging.WARNING, "player.core")
    sim, at = started(GainResult(error="ffmpeg cannot read it"))
    assert at == pytest.approx(2.0, abs=0.1)
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-22.0)
    assert "a.flac: loudness unknown (ffmpeg cannot read it); playing it at a cautious -10.0 dB" in caplog.messages
    sim.figures[track("a").path] = GainResult(EASY, final=True)  # a figure after the error changes nothing
    sim.revision += 1
    sim.run(5.0)
    assert heard_now(sim) == pytest.approx(-22.0)


def test_without_a_measurer_a_track_plays_at_its_mastered_level() -> None:
    sim, at = started(None)
    assert at == pytest.approx(2.0, abs=0.1)
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-12.0)


def test_a_final_figure_for_a_heard_track_glides_there_at_half_a_db_a_second() -> None:
    sim, _ = started(GainResult(TrackLevel(-18.0, -10.0), analysed_s=25.0))   # needs 0 dB so far
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-12.0)
    sim.figures[track("a").path] = GainResult(EASY, final=True)              # +4 dB after all
    sim.revision += 1
    t0 = sim.now
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-12.0 + 0.5 * (sim.now - t0), abs=0.3)
    sim.run(10.0)
    assert percent(heard_now(sim)) == percent(-8.0)
    glide = [g for t, g in sim.gains["A"] if t >= t0]
    steps = [b - a for a, b in zip(glide, glide[1:], strict=False)]
    assert len(steps) > 8 and max(abs(s) for s in steps) < 0.5      # one VLC percent at a time


def test_a_heard_track_that_turns_out_unmeasurable_glides_down_to_the_cautious_level() -> None:
    sim, _ = started(GainResult(EASY, analysed_s=25.0))
    sim.run(2.0)
    assert heard_now(sim) == pytest.approx(-8.0)
    sim.figures[track("a").path] = GainResult(error="decoder gave up")
    sim.run(2.0)
    assert -8.0 > heard_now(sim) > -22.0                         # on its way, not there at once
    sim.run(30.0)
    assert heard_now(sim) == pytest.approx(-22.0)
    sim.figures[track("a").path] = GainResult(EASY, final=True)  # final after the error: nothing moves
    sim.run(5.0)
    assert heard_now(sim) == pytest.approx(-22.0)


def test_a_provisional_figure_that_moves_is_followed_and_a_final_one_is_kept() -> None:
    sim, _ = started(GainResult(EASY, analysed_s=25.0))
    sim.run(2.0)
    sim.figures[track("a").path] = GainResult(TrackLevel(-20.0, -10.0), analysed_s=60.0)   # needs +2 dB
    sim.run(10.0)
    assert percent(heard_now(sim)) == percent(-10.0)
    sim.figures[track("a").path] = GainResult(TrackLevel(-20.0, -10.0), final=True)
    sim.run(1.0)
    sim.figures[track("a").path] = GainResult(EASY, final=True)   # a later answer for a final figure is ignored
    sim.run(10.0)
    assert percent(heard_now(sim)) == percent(-10.0)


def test_a_track_whose_peak_limits_it_is_heard_quieter_once_its_figure_is_known() -> None:
    hot_peak = TrackLevel(-30.0, -0.5)                           # needs +12 dB (0 dB here); its peak allows -0.5
    sim, _ = started(GainResult(EASY, analysed_s=25.0))
    sim.run(2.0)
    sim.figures[track("a").path] = GainResult(hot_peak, analysed_s=40.0)
    sim.run(30.0)
    assert percent(heard_now(sim)) == percent(-0.5)               # within its headroom, not its full need


def test_the_session_reference_is_lowered_only_when_new_final_figures_arrive() -> None:
    sim = Sim(LEVELS)
    a, quiet = track("a", 300), track("quiet", 300, token=2)
    sim.figures[quiet.path] = GainResult(TrackLevel(-40.0, -14.0), final=True)   # heard at -9 dB at most
    sim.step(BeginLevel(-6.0))
    from player.core.mix_commands import PlaySession
    sim.step(PlaySession((a.path, quiet.path)))
    sim.step(Play(a, 1.0))
    sim.run(4.0)
    assert sim.mix.slots.reference.target_db == pytest.approx(-3.0)      # the quiet track lacks 3 dB at the cap
    sim.figures[quiet.path] = GainResult(TrackLevel(-20.0, -14.0), final=True)
    sim.run(1.0)
    assert sim.mix.slots.reference.target_db == pytest.approx(-3.0)      # read again only on a new revision
    sim.revision += 1
    sim.run(1.0)
    assert sim.mix.slots.reference.target_db == 0.0                      # restored, as a glide
    assert sim.mix.slots.reference.value(sim.now) < 0.0


def test_a_track_that_plays_to_silence_fades_out_by_its_heard_end_without_a_known_length() -> None:
    """The source's length is unknown: the output's own figure, less the latency, is its end."""
    sim = Sim(LEVELS)
    a = track("a", None)
    sim.lengths[a.path] = 40.0
    sim.step(BeginLevel(-12.0))
    sim.step(Play(a, 1.0))
    sim.run_until("track_started", 5)
    sim.step(QueueNext(None, 6.0))
    sim.run(45.0)
    last = max(t for t, g in sim.gains["A"] if g is not None)
    loaded = sim.loads[0][0]
    assert last == pytest.approx(loaded + 40.0 - sim.audio.latency_s, abs=0.5)
    assert sim.kinds()[-1] == ("track_ended", "a")


@pytest.mark.parametrize("source_s,output_s", [(20.0, None), (None, 20.0), (20.0, 26.0)])
def test_a_long_crossfade_takes_half_of_the_outgoing_track_as_heard(source_s, output_s) -> None:
    """Asked 16 s out of a 20 s track: half of its 18.5 s heard (the probed length first, else the output's)."""
    sim = Sim(LEVELS)
    a, b = track("a", source_s), track("b", 300, token=2)
    if output_s is not None:
        sim.lengths[a.path] = output_s
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 16.0))
    sim.run(30.0)
    assert [(round(t, 2), c.slot) for t, c in sim.loads] == [(0.0, "A"), (6.76, "B")]   # 9.25 + 2.5 s before 18.5
    started_b = next(t for t, e in sim.events if e.kind == "track_started" and e.path == b.path)
    ended_a = next(t for t, e in sim.events if e.kind == "track_ended")
    assert (started_b, ended_a) == (pytest.approx(9.26), pytest.approx(18.52))


def test_a_slow_master_rise_above_vlc_100_percent_lets_the_engine_sleep_between_percent_steps() -> None:
    sim = Sim({"volume": {"fade_in_s": 1, "start_db": -12, "default_db": -6}})
    a = track("a", 300)
    sim.figures[a.path] = GainResult(TrackLevel(-36.0, -27.0), final=True)     # needs +18 dB: boosted
    sim.step(BeginLevel(-6.0))
    sim.step(Play(a, 1.0))
    sim.run(6.0)
    assert not sim.mix.master.ramp.done(sim.now) and heard_now(sim) > 0.0      # rising, above 100 %
    assert sim.mix.idle_s(sim.now) == 1.0                                      # 0.1 dB/s: no percent step soon


def crossfading_into_b(new_figure: GainResult | None) -> Sim:
    """a (final figure) crossfades 8 s into b (provisional); 2 s in, b's figure may change."""
    sim = Sim(LEVELS)
    a, b = track("a", 40), track("b", 300, token=2)
    sim.figures[a.path] = GainResult(EASY, final=True)
    sim.figures[b.path] = GainResult(EASY, analysed_s=25.0)
    sim.step(BeginLevel(-12.0))
    sim.step(Play(a, 1.0))
    sim.step(QueueNext(b, 8.0))
    sim.run(30.5)                                                # b comes in at 30.5 (38.5 - 8)
    if new_figure is not None:
        sim.figures[b.path] = new_figure
        sim.revision += 1
    sim.run(2.0)
    assert sorted(sim.decks) == ["A", "B"]                       # a still fading out
    return sim


def test_a_figure_for_the_incoming_track_is_followed_while_the_outgoing_one_still_sounds() -> None:
    same, moved = crossfading_into_b(None), crossfading_into_b(GainResult(TrackLevel(-26.0, -10.0), final=True))
    assert moved.gain_at("B", moved.now) > same.gain_at("B", same.now) + 0.5   # gliding toward +8 dB already


def test_a_lowered_session_reference_is_logged(caplog) -> None:
    caplog.set_level(logging.INFO, "player.core")
    sim = Sim(LEVELS)
    quiet = track("quiet", 300)
    sim.figures[quiet.path] = GainResult(TrackLevel(-40.0, -14.0), final=True)
    from player.core.mix_commands import PlaySession
    sim.step(PlaySession((quiet.path,)))
    sim.run(0.1)
    assert "session reference -3.0 dB: its quietest track cannot be heard louder" in caplog.messages


def test_figures_known_before_the_first_step_set_the_reference_at_once() -> None:
    """The measurer already had a final figure (revision 1) when the mix was made: it counts from the start."""
    sim = Sim(LEVELS)
    quiet = track("quiet", 300)
    sim.figures[quiet.path] = GainResult(TrackLevel(-40.0, -14.0), final=True)
    sim.revision = 1
    sim.step(Play(quiet, 1.0))
    sim.run(0.1)
    assert sim.mix.slots.reference.target_db == pytest.approx(-3.0)
