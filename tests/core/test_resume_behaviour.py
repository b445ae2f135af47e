"""Coming back after a crash or power cut, by what it is for: trust only a saved state that adds up,
and measure the downtime with a clock that cannot have stepped.

A restart that trusts a corrupt file could play the wrong phase at the wrong level; one that
believes a wall clock set wrong could skip a patient's whole session. Each test writes what
a state file could hold and checks what the restart would believe.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from player.core.resume import SAVED_VERSION, ClockReadings, Downtime, downtime, parse_saved, to_saved
from player.core.timeline import Timeline

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
TIMELINE = Timeline.start(("a", "b"), (600.0, 600.0))
GOOD = {"version": 2, "state": "playing", "session_id": "20260101-090000-room-3", "playlist_path": "/m/p.yaml",
        "timeline": TIMELINE.to_dict(), "elapsed_s": 100.0, "wall": T0.isoformat(), "boottime": 500.0,
        "boot_id": "boot-1", "track_index": 3, "position_s": 12.0, "master_db": -12.0, "fading_out": False}


def _saved(**change: object):
    return parse_saved({**GOOD, **change})


# --- what a restart takes up ---------------------------------------------------------------------

def test_a_good_saved_state_is_taken_up_as_written() -> None:
    saved = _saved()
    assert (saved.state, saved.session_id, saved.playlist_path) == ("playing", GOOD["session_id"], "/m/p.yaml")
    assert saved.timeline == TIMELINE
    assert (saved.elapsed_s, saved.track_index, saved.position_s, saved.master_db) == (100.0, 3, 12.0, -12.0)
    assert saved.clocks == ClockReadings(T0, 500.0, "boot-1")
    assert saved.fading_out is False


@pytest.mark.parametrize("state", ["playing", "paused", "faulted"])
def test_every_state_of_a_running_session_is_taken_up(state: str) -> None:
    assert _saved(state=state).state == state


@pytest.mark.parametrize("state", ["idle", "ready", "ended", None, 3])
def test_no_running_session_means_nothing_to_take_up(state: object) -> None:
    assert _saved(state=state) is None


def test_values_a_restart_can_do_without_take_their_plain_defaults() -> None:
    data = {k: v for k, v in GOOD.items() if k not in ("boottime", "boot_id", "track_index", "position_s",
                                                      "master_db", "fading_out")}
    saved = parse_saved(data)
    assert saved.clocks == ClockReadings(T0, 0.0, "")
    assert (saved.track_index, saved.position_s, saved.master_db, saved.fading_out) == (0, None, None, False)


def test_explicit_nulls_are_the_same_as_absent() -> None:
    saved = _saved(boottime=None, position_s=None, master_db=None)
    assert (saved.clocks.boottime, saved.position_s, saved.master_db) == (0.0, None, None)


def test_integers_are_read_as_seconds_and_a_truthy_fade_flag_as_fading() -> None:
    saved = _saved(elapsed_s=100, position_s=7, master_db=-12, fading_out=1)
    assert saved.elapsed_s == 100.0 and isinstance(saved.elapsed_s, float)
    assert saved.position_s == 7.0 and saved.master_db == -12.0
    assert saved.fading_out is True


def test_a_boot_id_that_is_not_text_is_no_boot_id() -> None:
    assert _saved(boot_id=42).clocks.boot_id == ""


@pytest.mark.parametrize("turn", [0, 999_999])
def test_any_plausible_turn_is_taken_up(turn: int) -> None:
    assert _saved(track_index=turn).track_index == turn


# --- what a restart must not trust ------------------------------------------------------------------

@pytest.mark.parametrize("data", [[GOOD], "playing", 7])
def test_a_file_that_is_not_an_object_is_refused(data: object) -> None:
    with pytest.raises(ValueError, match="^not a JSON object$"):
        parse_saved(data)


@pytest.mark.parametrize("session_id", ["../x", "", None, "a/b"])
def test_a_session_id_that_could_name_another_directory_is_refused(session_id: object) -> None:
    with pytest.raises(ValueError, match=f"^session_id {session_id!r} is not a plain name$"):
        _saved(session_id=session_id)


@pytest.mark.parametrize("path", [None, "", 7, "/m/p\0.yaml"])
def test_a_missing_or_odd_playlist_path_is_refused(path: object) -> None:
    with pytest.raises(ValueError, match="^playlist_path is missing$"):
        _saved(playlist_path=path)


@pytest.mark.parametrize("change", [{"timeline": None}, {"timeline": {"names": ["a"]}}, {"wall": "soon"},
                                    {"timeline": {**TIMELINE.to_dict(), "index": 5}}])
def test_an_unreadable_timeline_or_wall_time_is_refused(change: dict) -> None:
    with pytest.raises(ValueError, match=r"^timeline or wall time unreadable \(.+\)$"):
        _saved(**change)


@pytest.mark.parametrize("missing", ["timeline", "wall"])
def test_a_missing_timeline_or_wall_time_is_refused(missing: str) -> None:
    with pytest.raises(ValueError, match="^timeline or wall time unreadable"):
        parse_saved({k: v for k, v in GOOD.items() if k != missing})


@pytest.mark.parametrize("field,value", [("phase_start_s", math.nan), ("phase_end_s", math.inf),
                                         ("durations_s", [600.0, -math.inf])])
def test_a_timeline_with_a_number_that_is_not_finite_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="^the timeline holds a number that is not finite$"):
        _saved(timeline={**TIMELINE.to_dict(), field: value})


def test_a_wall_time_without_an_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="^wall time has no offset$"):
        _saved(wall="2026-01-01T09:00:00")


@pytest.mark.parametrize("turn", [-1, 1_000_000, True, 1.0, "3", None])
def test_a_turn_that_is_not_a_small_whole_number_is_refused(turn: object) -> None:
    with pytest.raises(ValueError, match=f"^track_index {turn!r} is not a turn$"):
        _saved(track_index=turn)


@pytest.mark.parametrize("key", ["elapsed_s", "boottime", "position_s", "master_db"])
@pytest.mark.parametrize("value", [math.nan, math.inf, True, "12"])
def test_a_number_that_is_not_finite_or_not_a_number_is_refused(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{key} is not a finite number"):
        _saved(**{key: value})


def test_the_session_clock_cannot_be_missing() -> None:
    with pytest.raises(ValueError, match=r"^elapsed_s is not a finite number \(None\)$"):
        _saved(elapsed_s=None)


# --- what is saved -------------------------------------------------------------------------------------

def test_the_saved_state_is_versioned_rounded_to_the_millisecond_and_reads_back() -> None:
    tl = TIMELINE.pause(30.0)
    data = to_saved(state="paused", session_id="s-1", playlist_path="/m/p.yaml", timeline=tl,
                    elapsed_s=12.34567, clocks=ClockReadings(T0, 77.12345, "b"), track_index=2,
                    position_s=3.25049, master_db=-14.5, fading_out=True)
    assert data == {"version": SAVED_VERSION, "state": "paused", "session_id": "s-1", "playlist_path": "/m/p.yaml",
                    "timeline": tl.to_dict(), "elapsed_s": 12.346, "wall": T0.isoformat(), "boottime": 77.123,
                    "boot_id": "b", "track_index": 2, "position_s": 3.25, "master_db": -14.5, "fading_out": True}
    saved = parse_saved(data)
    assert (saved.state, saved.timeline, saved.fading_out, saved.clocks.wall) == ("paused", tl, True, T0)


def test_no_position_is_saved_as_none() -> None:
    data = to_saved(state="playing", session_id="s", playlist_path="/p", timeline=TIMELINE, elapsed_s=0.0,
                    clocks=ClockReadings(T0, 0.0, ""), track_index=0, position_s=None, master_db=None,
                    fading_out=False)
    assert data["position_s"] is None and data["master_db"] is None


# --- how long the player was down ------------------------------------------------------------------------

PLAN_END_S = 1200.0


def _down(now: ClockReadings, **change: object) -> Downtime:
    return downtime(_saved(**change), now, PLAN_END_S)


def test_the_same_boot_measures_with_boottime_whatever_the_wall_clock_did() -> None:
    assert _down(ClockReadings(T0 - timedelta(days=3), 530.5, "boot-1")) == Downtime(30.5, "boottime", True)
    assert _down(ClockReadings(T0, 500.0, "boot-1")) == Downtime(0.0, "boottime", True)


def test_boottime_going_backwards_is_not_the_same_boot_the_wall_clock_decides() -> None:
    assert _down(ClockReadings(T0 + timedelta(seconds=20), 499.0, "boot-1")) == Downtime(20.0, "wall", True)


def test_without_a_saved_boot_id_the_wall_clock_decides() -> None:
    assert _down(ClockReadings(T0 + timedelta(seconds=20), 900.0, ""), boot_id="") == Downtime(20.0, "wall", True)


def test_after_a_reboot_the_wall_clock_measures() -> None:
    assert _down(ClockReadings(T0 + timedelta(seconds=42), 9.0, "boot-2")) == Downtime(42.0, "wall", True)
    assert _down(ClockReadings(T0, 9.0, "boot-2")) == Downtime(0.0, "wall", True)


def test_a_wall_clock_behind_the_last_save_is_doubted_and_says_by_how_much() -> None:
    got = _down(ClockReadings(T0 - timedelta(seconds=90), 9.0, "boot-2"))
    assert got == Downtime(0.0, "wall", False, "the wall clock is 90 s earlier than at the last save")


def test_a_gap_longer_than_the_rest_of_the_plan_is_doubted() -> None:
    rest = PLAN_END_S - GOOD["elapsed_s"]
    assert _down(ClockReadings(T0 + timedelta(seconds=rest), 9.0, "boot-2")) == Downtime(rest, "wall", True)
    got = _down(ClockReadings(T0 + timedelta(seconds=rest + 1), 9.0, "boot-2"))
    assert got == Downtime(0.0, "wall", False,
                           f"the wall clock says {rest + 1:.0f} s passed, longer than the rest of the plan")
