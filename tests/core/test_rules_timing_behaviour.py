"""The session rules' records carry the session time they happened at, and the music follows the
right crossfade and turn: the details a report and a restart read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.effects import Record
from player.core.media import MixerEvent
from player.core.running import STOP_FADE_S, MixerView
from player.errors import SessionRefused
from player.playlist.model import Phase, Playlist, Track
from tests.core.effect_names import Audio, command, kwargs
from tests.core.test_rules_behaviour import (
    NONE,
    T,
    at,
    calls,
    handed,
    phase,
    playlist,
    record,
    rules,
    start,
    started_event,
    stems,
)


def times(effects: list, kind: str) -> list[float]:
    return [fx.at_s for fx in effects if isinstance(fx, Record) and fx.type == kind]


def test_every_change_of_state_is_recorded_at_the_session_time_it_happened() -> None:
    r = rules()
    effects = command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, T, NONE)
    assert times(effects, "state_changed") == [0.0] and times(effects, "phase_started") == [0.0]
    assert times(command(r, "pause", "web", {}, at(30), NONE), "state_changed") == [30.0]
    resumed = command(r, "resume", "web", {}, at(45), NONE)
    assert times(resumed, "state_changed") == [45.0] and times(resumed, "resumed") == [45.0]
    advanced = command(r, "advance", "cli", {}, at(50), NONE)
    assert times(advanced, "phase_advanced") == [50.0] and record(advanced, "phase_advanced").source == "cli"
    assert times(command(r, "extend", "web", {}, at(55), NONE), "phase_extended") == [55.0]
    assert times(command(r, "stop", "web", {}, at(60), NONE), "state_changed") == [60.0]


def test_extend_without_minutes_adds_five() -> None:
    r = start()
    assert record(command(r, "extend", "web", {}, at(10), NONE), "phase_extended").details["minutes"] == 5.0
    assert r.snapshot(at(10))["phase_remaining_s"] == 890.0


def test_faults_from_the_engine_default_to_session_time_zero_and_track_faults_carry_theirs() -> None:
    r = start()
    r.add_fault("x")
    r.clear_fault("x")
    assert [fx.at_s for fx in r.take_effects()] == [0.0, 0.0]
    r = start(pl=playlist(phase("a", 600.0, tracks=1), phase("b", 600.0, tracks=1)))
    failed = r.heard(MixerEvent("track_failed", handed(command(r, "next", "web", {}, at(1), NONE))), at(7), NONE)
    assert times(failed, "fault") == [7.0]
    own = r.session.cursor.hand(r.session.playlist.phases[0].tracks[0], 0, 0)
    assert times(started_event(r, own, 9.0), "fault_cleared") == [9.0]


def test_a_refused_control_says_why_in_staffs_words() -> None:
    r = start()
    command(r, "pause", "web", {}, at(10), NONE)
    with pytest.raises(SessionRefused, match="^cannot advance: the session is paused; resume it first$"):
        command(r, "advance", "web", {}, at(11), NONE)


def test_the_last_phase_ending_is_recorded_with_its_name_and_place() -> None:
    r = start(pl=playlist(phase("a", 60.0), phase("b", 60.0)))
    r.tick(at(60), NONE)
    assert record(r.tick(at(120), NONE), "phase_ended").details == {"phase": "b", "index": 1}


def test_a_new_phase_crossfades_in_over_the_ending_phases_crossfade() -> None:
    pl = Playlist("P", Path("/m/p.yaml"), 8.0, (
        Phase("a", 60.0, (Track(Path("/m/a.flac"), duration_s=300.0),), 12.0),
        Phase("b", 60.0, (Track(Path("/m/b.flac"), duration_s=300.0),), 2.0)))
    r = start(pl=pl)
    (fade,) = calls(r.tick(at(60), MixerView(current_token=1)), "crossfade_to")
    assert kwargs(fade)["crossfade_s"] == 12.0


@pytest.mark.parametrize("crossfade_s,fade_s", [(6.0, 6.0), (0.0, STOP_FADE_S)])
def test_a_phase_without_music_fades_the_last_out_over_its_crossfade_else_the_stop_fade(crossfade_s: float,
                                                                                         fade_s: float) -> None:
    pl = Playlist("P", Path("/m/p.yaml"), 8.0, (
        Phase("a", 60.0, (Track(Path("/m/a.flac"), duration_s=300.0),), crossfade_s),
        Phase("b", 60.0, (), crossfade_s, on_short="silence")))
    r = start(pl=pl)
    effects = command(r, "advance", "web", {}, at(10), NONE)
    assert calls(effects) == [Audio("stop", {"fade_s": fade_s})]


def test_next_steps_one_track_at_a_time_and_may_reach_the_last_track_of_a_silent_phase() -> None:
    r = start(pl=playlist(phase("a", 600.0, tracks=3, on_short="silence"), phase("b", 60.0)))
    assert stems(command(r, "next", "web", {}, at(1), NONE)) == ["a-1"]
    assert stems(command(r, "next", "web", {}, at(2), NONE)) == ["a-2"]
    with pytest.raises(SessionRefused):
        command(r, "next", "web", {}, at(3), NONE)


def test_past_its_end_unticked_a_phase_shows_nothing_remaining_not_a_negative_time() -> None:
    r = start(pl=playlist(phase("a", 60.0)))
    snap = r.snapshot(at(90))
    assert snap["phase_remaining_s"] == 0.0 and snap["remaining_s"] == 0.0


def test_a_faulted_session_asked_for_a_track_hands_the_following_one() -> None:
    r = start()
    r.heard(MixerEvent("device_lost"), at(5), NONE)
    assert stems(r.heard(MixerEvent("needs_track", None), at(6), NONE)) == ["settling-1"]
    command(r, "stop", "web", {}, at(7), NONE)
    assert r.heard(MixerEvent("needs_track", None), at(8), NONE) == []


def test_after_a_finished_track_hands_over_the_next_phase_goes_on_from_its_second_track() -> None:
    r = start(pl=playlist(phase("a", 600.0, finish_track=True), phase("b", 600.0, tracks=3)))
    nxt = handed(r.tick(at(600), MixerView(current_token=1)))
    started_event(r, nxt, 640.0)
    assert stems(r.heard(MixerEvent("needs_track", None), at(900), MixerView(current_token=nxt.token))) == ["b-1"]
    assert r.tick(at(1000), MixerView(current_token=nxt.token)) == []       # no second hand-over


def test_the_fallback_after_a_phase_failed_is_the_last_track_heard_as_it_was() -> None:
    r = start(pl=playlist(phase("a", 600.0, tracks=1), phase("b", 600.0, tracks=1)))
    first = handed(command(r, "next", "web", {}, at(1), NONE))
    started_event(r, first, 2.0)
    r.heard(MixerEvent("track_failed", first), at(3), NONE)
    fallback = handed(r.heard(MixerEvent("needs_track", None), at(3), NONE))
    assert (fallback.path, fallback.trim_db, fallback.duration_s) == (first.path, first.trim_db, first.duration_s)


def test_a_track_asked_for_at_once_crossfades_over_the_phases_crossfade() -> None:
    r = start()
    (fade,) = calls(r.heard(MixerEvent("needs_track", None, {"now": True}), at(5), NONE), "crossfade_to")
    assert kwargs(fade)["crossfade_s"] == 8.0


def test_the_device_coming_back_is_recorded_at_its_time() -> None:
    r = start()
    r.heard(MixerEvent("device_lost"), at(5), NONE)
    back = r.heard(MixerEvent("device_restored"), at(9), NONE)
    assert times(back, "state_changed") == [9.0] and times(back, "fault_cleared") == [9.0]


def test_a_single_phase_whose_every_track_failed_with_nothing_heard_waits_and_retries() -> None:
    r = start(pl=playlist(phase("a", 600.0, tracks=1)))
    first = r.session.cursor.hand(r.session.playlist.phases[0].tracks[0], 0, 0)
    r.heard(MixerEvent("track_failed", first), at(1), NONE)
    assert r.heard(MixerEvent("needs_track", None), at(1), NONE) == []      # no fallback: wait, not silence
    assert r.next_due_s(at(1)) == 1.0
