"""The track cursor, by what it is for: which track plays next, and never leaving the patient in silence.

Each test plays a short scenario on a pure `Cursor` (what the mixer was handed, what it heard,
what failed) and checks the outcome a listener would notice: the file handed over, the turn a
token stands for, when the cursor gives up for now and when it tries again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.cursor import KEEP_TOKENS, RETRY_FIRST_S, RETRY_MAX_S, Cursor, Turn, track_at
from player.core.media import Source
from player.playlist.model import Phase, Playlist, Track


def _track(name: str) -> Track:
    return Track(Path(f"/m/{name}.flac"), gain_db=-1.5, duration_s=200.0)


def _phase(name: str, n: int, on_short: str = "loop") -> Phase:
    return Phase(name, 600.0, tuple(_track(f"{name}-{i}") for i in range(n)), 8.0, on_short=on_short)


def _playlist(*phases: Phase) -> Playlist:
    return Playlist("P", Path("/m/p.yaml"), 8.0, phases)


def _names(*sources: Source | None) -> list[str | None]:
    return [None if s is None else s.path.stem for s in sources]


# --- which track a turn plays ---------------------------------------------------------------

def test_a_looping_phase_plays_its_tracks_round_and_round() -> None:
    phase = _phase("a", 3)
    assert [track_at(phase, t).path.stem for t in range(7)] == ["a-0", "a-1", "a-2", "a-0", "a-1", "a-2", "a-0"]


def test_a_silent_phase_plays_its_tracks_once() -> None:
    phase = _phase("a", 2, on_short="silence")
    assert track_at(phase, 1).path.stem == "a-1" and track_at(phase, 2) is None


def test_a_phase_without_tracks_has_nothing_to_play() -> None:
    assert track_at(_phase("a", 0), 0) is None


# --- tokens: which play of which turn the mixer is talking about ------------------------------

def test_each_hand_out_is_a_new_token_that_says_which_turn_it_is() -> None:
    c, track = Cursor(), _track("x")
    first = c.hand(track, 0, 0)
    again = c.hand(track, 0, 3, start_s=12.5, fallback=True)   # the same file, another turn
    assert first.token != again.token
    assert c.turn_of(first.token) == Turn(0, 0, False)
    assert c.turn_of(again.token) == Turn(0, 3, True)
    assert again == Source(track.path, again.token, -1.5, 200.0, 12.5)   # trim, length and start carried over


def test_a_token_never_handed_out_or_none_is_no_turn() -> None:
    c = Cursor()
    c.hand(_track("x"), 0, 0)
    assert c.turn_of(None) is None and c.turn_of(999) is None


def test_only_the_latest_tokens_are_remembered_the_oldest_first_forgotten() -> None:
    c, track = Cursor(), _track("x")
    sources = [c.hand(track, 0, turn) for turn in range(KEEP_TOKENS + 1)]
    assert c.turn_of(sources[0].token) is None                     # the oldest is forgotten
    assert c.turn_of(sources[1].token) == Turn(0, 1)               # exactly KEEP_TOKENS are kept
    assert c.turn_of(sources[-1].token) == Turn(0, KEEP_TOKENS)
    assert len(c.tokens) == KEEP_TOKENS


# --- the phase's own music ---------------------------------------------------------------------

def test_the_current_turn_is_handed_from_where_it_is_asked_to_start() -> None:
    pl, c = _playlist(_phase("a", 3)), Cursor()
    c.start_phase(2)
    source = c.current(pl, 0, start_s=40.0)
    assert _names(source) == ["a-2"] and source.start_s == 40.0
    assert c.turn_of(source.token) == Turn(0, 2)
    assert _names(c.following(pl, 0), c.following(pl, 0)) == ["a-0", "a-1"]   # on from there, looping


def test_a_phase_begins_at_its_first_track_played_from_the_start() -> None:
    pl, c = _playlist(_phase("a", 3)), Cursor()
    c.start_phase(2)
    c.start_phase()
    current, following = c.current(pl, 0), c.following(pl, 0)
    assert _names(current, following) == ["a-0", "a-1"]
    assert current.start_s == 0.0 and following.start_s == 0.0
    assert c.hand(_track("x"), 0, 0).start_s == 0.0


def test_current_on_a_silent_phase_past_its_tracks_hands_nothing() -> None:
    pl, c = _playlist(_phase("a", 1, on_short="silence")), Cursor()
    c.start_phase(1)
    assert c.current(pl, 0) is None


def test_after_a_skip_the_following_track_is_counted_from_the_current_one() -> None:
    pl, c = _playlist(_phase("a", 4)), Cursor()
    c.start_phase(0)
    c.following(pl, 0)
    c.following(pl, 0)                      # two queued ahead
    c.track_index = 1
    assert _names(c.current(pl, 0), c.following(pl, 0)) == ["a-1", "a-2"]


def test_a_silent_phase_runs_out_of_following_tracks() -> None:
    pl, c = _playlist(_phase("a", 2, on_short="silence")), Cursor()
    assert _names(c.current(pl, 0), c.following(pl, 0), c.following(pl, 0)) == ["a-0", "a-1", None]


def test_the_track_heard_becomes_the_current_turn() -> None:
    pl, c = _playlist(_phase("a", 3)), Cursor()
    c.current(pl, 0)
    queued = c.following(pl, 0)
    turn = c.heard(queued.token, _track("a-1"), 0)
    assert turn == Turn(0, 1) and c.track_index == 1 and c.last_good == _track("a-1")


def test_a_track_heard_from_another_phase_or_as_a_fallback_does_not_move_the_cursor() -> None:
    pl, c = _playlist(_phase("a", 3), _phase("b", 3)), Cursor()
    c.start_phase(0)
    other = c.hand(pl.phases[1].tracks[2], 1, 2)
    fallback = c.hand(pl.phases[0].tracks[2], 0, 2, fallback=True)
    assert c.heard(other.token, pl.phases[1].tracks[2], 0) == Turn(1, 2) and c.track_index == 0
    assert c.heard(fallback.token, pl.phases[0].tracks[2], 0) == Turn(0, 2, True) and c.track_index == 0
    assert c.heard(None, pl.phases[0].tracks[1], 0) is None and c.track_index == 0
    assert c.last_good == pl.phases[0].tracks[1]                  # but whatever was heard is good music


# --- failures: move on, fall back, then wait --------------------------------------------------

def test_the_phase_has_failed_when_each_of_its_tracks_failed_in_a_row() -> None:
    phase, c = _phase("a", 3), Cursor()
    assert [c.failed(phase) for _ in range(4)] == [False, False, True, False]   # said once, on the third


def test_a_track_heard_resets_the_count_of_failures() -> None:
    phase, c = _phase("a", 2), Cursor()
    c.failed(phase)
    c.heard(None, _track("a-1"), 0)
    assert c.failures_in_row == 0 and not c.failed(phase)


def test_when_the_phase_failed_the_last_track_heard_plays_first_then_the_later_phases() -> None:
    pl = _playlist(_phase("a", 2), _phase("b", 2), _phase("c", 1))
    c = Cursor()
    c.start_phase(0)
    c.heard(None, _track("earlier"), 0)
    c.track_index = 1
    handed = []
    for _ in range(2 + 4):
        c.failed(pl.phases[0])
        handed.append(c.following(pl, 0))
    # the first failure moves on past the last track handed; then every fallback in turn, then nothing
    assert _names(*handed) == ["a-1", "earlier", "b-0", "b-1", "c-0", None]
    assert [c.turn_of(s.token) for s in handed[1:5]] == [Turn(0, 1, True), Turn(1, 0, True), Turn(1, 1, True),
                                                           Turn(2, 0, True)]


def test_without_any_track_heard_the_fallbacks_start_with_the_next_phase() -> None:
    pl, c = _playlist(_phase("a", 1), _phase("b", 1)), Cursor()
    c.failed(pl.phases[0])
    assert _names(c.following(pl, 0), None) == ["b-0", None]
    c.failed(pl.phases[0])
    assert c.following(pl, 0) is None


def test_in_the_last_phase_the_only_fallback_is_the_last_track_heard() -> None:
    pl, c = _playlist(_phase("a", 1), _phase("b", 1)), Cursor()
    c.heard(None, _track("earlier"), 1)
    c.failed(pl.phases[1])
    assert _names(c.following(pl, 1)) == ["earlier"]
    c.failed(pl.phases[1])
    assert c.following(pl, 1) is None


def test_when_everything_failed_it_waits_one_second_then_twice_as_long_up_to_thirty() -> None:
    c = Cursor()
    assert not c.phase_failed
    waits = []
    now = 0.0
    for _ in range(8):
        c.wait_before_retry(now)
        assert c.phase_failed
        due = c.retry_at
        waits.append(due - now)
        assert c.retry_due(due)
        now = due
    assert waits == [RETRY_FIRST_S, 2.0, 4.0, 8.0, 16.0, RETRY_MAX_S, RETRY_MAX_S, RETRY_MAX_S]


def test_a_retry_is_due_at_its_time_not_before_and_starts_the_phase_over() -> None:
    phase, c = _phase("a", 1), Cursor()
    assert not c.retry_due(1e9)                      # nothing to retry
    c.failed(phase)
    c.wait_before_retry(10.0)
    assert not c.retry_due(10.999) and c.phase_failed
    assert c.retry_due(11.0)
    assert not c.phase_failed and c.failures_in_row == 0
    assert not c.retry_due(11.0)                     # once


@pytest.mark.parametrize("reset", ["start_phase", "heard"])
def test_new_music_forgets_the_failures_and_the_waiting(reset: str) -> None:
    phase, c = _phase("a", 1), Cursor()
    c.failed(phase)
    c.wait_before_retry(0.0)
    c.wait_before_retry(1.0)
    if reset == "start_phase":
        c.start_phase(3)
        assert c.track_index == 3 and c.handed_turn == 3
    else:
        c.heard(None, _track("x"), 0)
    assert (c.failures_in_row, c.retry_at, c.retry_s) == (0, None, RETRY_FIRST_S)
    c.wait_before_retry(5.0)
    assert c.retry_at == 5.0 + RETRY_FIRST_S
