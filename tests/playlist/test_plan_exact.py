"""The session plan laid out exactly: every JSON field of a small two-phase plan, loop
turns and indices, and a track that overruns its phase by less than the crossfade. Beside
test_plan.py; written to kill the survivors of mutation testing (python -m tests.mutation plan)."""

from __future__ import annotations

from pathlib import Path

from player.playlist.model import Phase, Playlist, Track
from player.playlist.plan import plan_session, plan_to_json

BASE = Path("/clinic")


def track(name: str, seconds: float, gain_db: float = 0.0) -> Track:
    return Track(BASE / name, gain_db=gain_db, duration_s=seconds)


def playlist(*phases: Phase) -> Playlist:
    return Playlist("Two phases", BASE / "p.yaml", 5.0, phases)


def test_every_field_of_a_small_plan() -> None:
    onset = Phase("onset", 60.0, (track("a.flac", 30.0), track("b.flac", 40.0, -2.0)), 5.0)
    peak = Phase("peak", 100.0, (track("c.flac", 100 / 3),), 5.0, fade_in_s=2.5, fade_out_s=10.0,
                 on_short="silence")
    assert plan_to_json(plan_session(playlist(onset, peak))) == {
        "name": "Two phases", "total_s": 160.0, "phases": [
            {"name": "onset", "start_s": 0.0, "end_s": 60.0, "planned_duration_s": 60.0, "crossfade_s": 5.0,
             "fade_in_s": None, "fade_out_s": None, "silent_from_s": None, "tracks": [
                 {"file": "a.flac", "start_s": 0.0, "duration_s": 30.0, "loop": 0, "crossfade_at_s": 25.0,
                  "cut": False, "gain_db": 0.0},
                 # b ends exactly where the phase's crossfade out ends: not cut
                 {"file": "b.flac", "start_s": 25.0, "duration_s": 40.0, "loop": 0, "crossfade_at_s": 60.0,
                  "cut": False, "gain_db": -2.0}]},
            {"name": "peak", "start_s": 60.0, "end_s": 160.0, "planned_duration_s": 100.0, "crossfade_s": 5.0,
             "fade_in_s": 2.5, "fade_out_s": 10.0, "silent_from_s": 93.333, "tracks": [
                 {"file": "c.flac", "start_s": 60.0, "duration_s": 33.333, "loop": 0, "crossfade_at_s": None,
                  "cut": False, "gain_db": 0.0}]}]}


def test_loops_count_turns_and_indices() -> None:
    phase = Phase("onset", 100.0, (track("a.flac", 30.0), track("b.flac", 30.0)), 5.0)
    tracks = plan_session(playlist(phase)).phases[0].tracks
    assert [(t.file, t.index, t.loop, t.start_s) for t in tracks] == [
        ("a.flac", 0, 0, 0.0), ("b.flac", 1, 0, 25.0), ("a.flac", 0, 1, 50.0), ("b.flac", 1, 1, 75.0)]
    assert [t.cut for t in tracks] == [False, False, False, True]


def test_a_track_that_hands_over_before_the_phase_end_is_not_the_last() -> None:
    """62 s in a 60 s looping phase: its crossfade starts at 57 s, so the next track starts there."""
    phase = Phase("onset", 60.0, (track("long.flac", 62.0), track("next.flac", 30.0)), 5.0)
    nxt = Phase("peak", 30.0, (track("p.flac", 40.0),), 5.0)
    tracks = plan_session(playlist(phase, nxt)).phases[0].tracks
    assert [(t.file, t.start_s, t.duration_s, t.crossfade_at_s, t.cut) for t in tracks] == [
        ("long.flac", 0.0, 62.0, 57.0, False), ("next.flac", 57.0, 8.0, 60.0, True)]


def test_a_silence_phase_whose_only_track_overruns_is_cut_at_its_end() -> None:
    phase = Phase("onset", 60.0, (track("a.flac", 62.0),), 5.0, on_short="silence")
    last = Phase("peak", 30.0, (track("p.flac", 40.0),), 5.0)
    planned = plan_session(playlist(phase, last)).phases[0]
    assert [(t.duration_s, t.crossfade_at_s, t.cut) for t in planned.tracks] == [(62.0, 60.0, False)]
    assert planned.silent_from_s is None
