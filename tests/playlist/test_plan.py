"""Planner arithmetic on hand-built playlists (pure: no files)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.playlist.model import Phase, Playlist, Track
from player.playlist.plan import plan_session, plan_to_json, tracks_for_phase

ROOT = Path("/clinic")


def track(name: str, seconds: float | None, gain: float = 0.0) -> Track:
    return Track(path=ROOT / "music" / name, gain_db=gain, duration_s=seconds, sample_rate=44100, line=1)


def phase(name: str, seconds: float, tracks, crossfade: float = 5.0, **kw) -> Phase:
    return Phase(name=name, duration_s=seconds, tracks=tuple(tracks), crossfade_s=crossfade, **kw)


def playlist(*phases: Phase) -> Playlist:
    return Playlist(name="P", path=ROOT / "p.yaml", crossfade_s=5.0, phases=phases)


A, B = track("a.flac", 30), track("b.flac", 40)


def rows(planned):
    return [(t.file, t.start_s, t.duration_s, t.loop, t.crossfade_at_s, t.cut) for t in planned.tracks]


def test_loop_until_the_phase_ends_then_cut_with_a_crossfade():
    plan = plan_session(playlist(phase("onset", 100, [A, B]), phase("peak", 60, [B])))
    onset, peak = plan.phases
    assert (onset.start_s, onset.end_s, onset.silent_from_s) == (0, 100, None)
    assert rows(onset) == [
        ("music/a.flac", 0, 30, 0, 25, False),
        ("music/b.flac", 25, 40, 0, 60, False),
        ("music/a.flac", 60, 30, 1, 85, False),
        ("music/b.flac", 85, 20, 1, 100, True),  # 15 s in the phase + 5 s fading under the next
    ]
    assert (peak.start_s, peak.end_s) == (100, 160)
    assert rows(peak) == [("music/b.flac", 100, 40, 0, 135, False), ("music/b.flac", 135, 25, 1, None, True)]
    assert plan.total_s == 160


def test_silence_plays_the_list_once():
    [p] = plan_session(playlist(phase("recovery", 100, [A, B], on_short="silence"))).phases
    assert rows(p) == [("music/a.flac", 0, 30, 0, 25, False), ("music/b.flac", 25, 40, 0, None, False)]
    assert p.silent_from_s == 65


def test_silence_with_tracks_longer_than_the_phase_is_cut():
    [p, _] = plan_session(playlist(phase("recovery", 50, [A, B], on_short="silence"),
                                   phase("x", 10, [A]))).phases
    assert rows(p)[-1] == ("music/b.flac", 25, 30, 0, 50, True)
    assert p.silent_from_s is None


def test_finish_track_moves_the_phase_end_and_later_phases():
    plan = plan_session(playlist(phase("peak", 50, [A, B], finish_track=True), phase("comedown", 20, [A])))
    peak, comedown = plan.phases
    assert rows(peak)[-1] == ("music/b.flac", 25, 40, 0, 60, False)
    assert (peak.end_s, peak.planned_duration_s) == (60, 50)
    assert (comedown.start_s, comedown.end_s) == (60, 80)
    assert plan.total_s == 80


def test_finish_track_in_the_last_phase_plays_to_the_end_of_the_file():
    [p] = plan_session(playlist(phase("recovery", 50, [A, B], finish_track=True))).phases
    assert p.end_s == 65 and rows(p)[-1] == ("music/b.flac", 25, 40, 0, None, False)


def test_last_phase_has_no_tail_and_keeps_its_fades():
    [p] = plan_session(playlist(phase("recovery", 50, [B], fade_in_s=3, fade_out_s=20))).phases
    assert rows(p) == [("music/b.flac", 0, 40, 0, 35, False), ("music/b.flac", 35, 15, 1, None, True)]
    assert (p.fade_in_s, p.fade_out_s) == (3, 20)


def test_phase_without_tracks_is_silent_from_its_start():
    plan = plan_session(playlist(phase("onset", 30, [A]), phase("quiet", 40, [])))
    assert plan.phases[1].tracks == () and plan.phases[1].silent_from_s == 30
    assert plan.total_s == 70


def test_zero_crossfade_places_tracks_end_to_end():
    [p] = plan_session(playlist(phase("onset", 70, [A, B], crossfade=0))).phases
    assert [(t.start_s, t.duration_s) for t in p.tracks] == [(0, 30), (30, 40)]


def test_unprobed_or_too_short_tracks_cannot_be_planned():
    with pytest.raises(ValueError, match="probe=True"):
        plan_session(playlist(phase("onset", 60, [track("x.flac", None)])))
    with pytest.raises(ValueError, match="not longer than the crossfade"):
        plan_session(playlist(phase("onset", 60, [track("x.flac", 5)], crossfade=5)))


def test_json_shape():
    plan = plan_session(playlist(phase("onset", 100, [A, track("b.flac", 40, gain=-2)]), phase("peak", 20, [A])))
    data = json.loads(json.dumps(plan_to_json(plan)))
    assert set(data) == {"name", "total_s", "phases"} and data["total_s"] == 120
    first = data["phases"][0]
    assert {"name", "start_s", "end_s", "tracks"} <= set(first)
    assert first["tracks"][0] == {"file": "music/a.flac", "start_s": 0, "duration_s": 30, "loop": 0,
                                  "crossfade_at_s": 25, "cut": False, "gain_db": 0.0}
    assert first["tracks"][1]["gain_db"] == -2


def test_tracks_for_phase_loops_forever_and_resumes():
    p = phase("onset", 60, [A, B])
    turns = list(itertools.islice(tracks_for_phase(p), 5))
    assert [(t.turn, t.index, t.loop, t.track.title) for t in turns] == [
        (0, 0, 0, "a.flac"), (1, 1, 0, "b.flac"), (2, 0, 1, "a.flac"), (3, 1, 1, "b.flac"), (4, 0, 2, "a.flac")]
    resumed = next(tracks_for_phase(p, start_turn=3))
    assert (resumed.turn, resumed.index, resumed.loop) == (3, 1, 1)


def test_tracks_for_phase_silence_and_empty():
    assert [t.index for t in tracks_for_phase(phase("r", 60, [A, B], on_short="silence"))] == [0, 1]
    assert list(tracks_for_phase(phase("r", 60, [A, B], on_short="silence"), start_turn=2)) == []
    assert list(tracks_for_phase(phase("r", 60, []))) == []


_phases = st.lists(
    st.builds(
        lambda seconds, crossfade, lengths, on_short, finish: phase(
            "p", seconds, [track(f"{i}.flac", crossfade * 2 + extra) for i, extra in enumerate(lengths)],
            crossfade=crossfade, on_short=on_short, finish_track=finish),
        st.floats(1, 3600), st.sampled_from([0.0, 0.5, 3.0, 8.0]), st.lists(st.floats(1, 600), max_size=4),
        st.sampled_from(["loop", "silence"]), st.booleans()),
    min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(_phases)
def test_plan_invariants(phases):
    plan = plan_session(playlist(*phases))
    at = 0.0
    for source, planned in zip(phases, plan.phases, strict=True):
        assert planned.start_s == pytest.approx(at)
        assert planned.end_s >= planned.start_s + source.duration_s - 1e-6
        if not source.finish_track:
            assert planned.end_s == pytest.approx(planned.start_s + source.duration_s)
        starts = [t.start_s for t in planned.tracks]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
        assert all(planned.start_s <= s < planned.end_s for s in starts)
        for t in planned.tracks:
            assert 0 < t.duration_s <= t.track.duration_s + 1e-6
        at = planned.end_s
    assert plan.total_s == pytest.approx(at)
