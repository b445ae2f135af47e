"""The infusion's start and end, and what counts from them, in the pure core.

Checkpoints anchored to the infusion (late start, pause, no end, a restart in between, a
repeat until the end) and the recovery phase lasting until infusion_end + 60m. Never
audible: recording the infusion yields no audio or volume effect.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.core.resume import ClockReadings, Downtime, parse_saved, to_saved
from player.core.running import MixerView
from player.core.session import SessionMachine
from player.errors import SessionRefused
from player.playlist.model import Checkpoint, Phase, Playlist, Track
from tests.core.effect_names import Storage, command
from tests.core.test_checkpoints import records, silent

NONE = MixerView()
ORIGIN = 100.0
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
MIN = 60.0
# {at: 15m, after: infusion_start, text: BP and HR, repeat: 15m, until: infusion_end} over a 2 h plan,
# {at: 60m, after: infusion_end, text: discharge check}, and a plain one at 5 min.
CPS = ((Checkpoint(5 * MIN, "baseline BP", 5),)
       + tuple(Checkpoint(15 * MIN * (n + 1), "BP and HR", 6, after="infusion_start", stop="infusion_end",
                          every_s=15 * MIN, nth=n) for n in range(7))
       + (Checkpoint(60 * MIN, "discharge check", 7, after="infusion_end"),))


def playlist(until_s: float | None = 3600.0) -> Playlist:
    phases = tuple(Phase(name, length, (Track(Path(f"/m/{name}.flac"), duration_s=300.0),), 8.0,
                         until_after_end_s=until_s if name == "recovery" else None)
                   for name, length in (("settling", 10 * MIN), ("peak", 70 * MIN), ("recovery", 40 * MIN)))
    return Playlist("P", Path("/m/p.yaml"), 8.0, phases, checkpoints=CPS)


def started(pl: Playlist | None = None) -> SessionMachine:
    r = SessionMachine(config_from_mapping({"session": {"checkpoint_grace_s": 300}}))
    command(r, "start", "web", {"playlist": pl or playlist(), "session_id": "s1"}, ORIGIN, NONE)
    assert [fx.details["text"] for fx in records(r.tick(at(6), NONE), "checkpoint_due")] == ["baseline BP"]
    return r


def at(minutes: float) -> float:
    return ORIGIN + minutes * MIN


def infusion(r: SessionMachine, event: str, minutes: float, source: str = "cli") -> list:
    return command(r, "infusion", source, {"event": event}, at(minutes), NONE)


def due_texts(r: SessionMachine, minutes: float) -> list[tuple[str, float]]:
    """The checkpoint_due records announced on a tick at `minutes`: (text, session minutes)."""
    return [(fx.details["text"], fx.at_s / MIN) for fx in records(r.tick(at(minutes), NONE), "checkpoint_due")]


# --- the control ---------------------------------------------------------------------------------

def test_start_and_end_are_recorded_with_their_source_silently_and_saved() -> None:
    r = started()
    effects = infusion(r, "start", 10, "web")
    (rec,) = records(effects)
    assert (rec.type, rec.source, rec.at_s, rec.details) == ("infusion_started", "web", 600.0, {})
    assert silent(effects) and effects[-1] == Storage("save")
    assert r.snapshot(at(11))["infusion"] == {"state": "running", "started_s": 600.0, "ended_s": None,
                                              "until": {"phase": "recovery", "margin_s": 3600.0, "anchored": False,
                                                        "earliest_end_s": None}}
    (rec,) = records(command(r, "infusion", "cli", {"event": "end"}, at(50.5) + 0.12345, NONE))
    assert (rec.type, rec.source, rec.details) == ("infusion_ended", "cli", {"duration_s": 2430.123})
    inf = r.snapshot(at(51))["infusion"]
    assert (inf["state"], inf["started_s"], inf["ended_s"]) == ("ended", 600.0, pytest.approx(3030.12345))
    assert inf["until"]["earliest_end_s"] == pytest.approx(3030.12345 + 3600.0)


@pytest.mark.parametrize(("steps", "message"), [
    (["end"], "cannot end the infusion: its start was not recorded; record the start first (infusion start)"),
    (["start", "start"], "the infusion already started at 10:00; record its end with: infusion end"),
    (["start", "end", "end"], "the infusion already ended at 10:00"),
    (["start", "end", "start"], "the infusion already started at 10:00 and ended"),
])
def test_what_makes_no_sense_is_refused_and_changes_nothing(steps: list[str], message: str) -> None:
    r = started()
    for event in steps[:-1]:
        infusion(r, event, 10)
    before = r.snapshot(at(12))
    with pytest.raises(SessionRefused) as refused:
        infusion(r, steps[-1], 12)
    assert str(refused.value) == message
    assert r.snapshot(at(12)) == before


def test_no_session_no_infusion() -> None:
    r = SessionMachine(config_from_mapping({}))
    with pytest.raises(SessionRefused, match="cannot record the infusion: no session is running; start a playlist"):
        command(r, "infusion", "cli", {"event": "start"}, 5.0, NONE)
    assert r.snapshot(5.0)["infusion"] == {"state": "not_started", "started_s": None, "ended_s": None, "until": None}


def test_paused_or_faulted_the_infusion_is_still_recorded() -> None:
    r = started()
    command(r, "pause", "web", {}, at(8), NONE)
    assert [fx.type for fx in records(infusion(r, "start", 9))] == ["infusion_started"]
    assert r.state == "paused"


# --- anchored checkpoints ------------------------------------------------------------------------

def test_never_due_before_the_infusion_started_however_long_it_waits() -> None:
    r = started()
    assert due_texts(r, 100) == []                       # the drip never started: nothing anchored is due
    snap = r.snapshot(at(100))["checkpoints"]
    assert [(c["text"], c["at_s"], c["state"], c.get("after")) for c in snap] == [
        ("baseline BP", 300.0, "missed", None), ("BP and HR", None, "upcoming", "infusion_start"),
        ("discharge check", None, "upcoming", "infusion_end")]    # one line per anchored entry, no time yet
    assert r.next_due_s(at(100)) == pytest.approx(20 * MIN)    # the phase's end, not a checkpoint


def test_a_late_start_moves_every_anchored_time_with_it() -> None:
    r = started()
    r.tick(at(24.9), NONE)
    infusion(r, "start", 25)                               # planned at 10, started at 25
    assert r.next_due_s(at(25)) == pytest.approx(15 * MIN)
    assert due_texts(r, 39.9) == []
    effects = r.tick(at(40.01), NONE)
    (due,) = records(effects, "checkpoint_due")
    assert (due.at_s, due.details) == (2400.0, {"index": 1, "text": "BP and HR", "at_s": 2400.0,
                                                "after": "infusion_start", "offset_s": 900.0})
    assert silent(effects)
    (ack,) = records(command(r, "ack", "web", {}, at(41), NONE))
    assert ack.details["late_s"] == 60.0 and ack.details["after"] == "infusion_start"


def test_a_pause_does_not_move_anchored_checkpoints() -> None:
    r = started()
    infusion(r, "start", 10)
    command(r, "pause", "web", {}, at(12), NONE)
    assert due_texts(r, 25.5) == [("BP and HR", 25.0)]        # due while paused, at 10 + 15 on the session clock
    command(r, "resume", "web", {}, at(30), NONE)
    assert [c["at_s"] for c in r.snapshot(at(30))["checkpoints"] if c["text"] == "BP and HR"][:2] == [1500.0, 2400.0]


def test_repeats_stop_at_the_infusion_end_and_the_discharge_check_counts_from_it() -> None:
    r = started()
    infusion(r, "start", 10)
    assert due_texts(r, 26) == [("BP and HR", 25.0)]
    assert due_texts(r, 41) == [("BP and HR", 40.0)]
    infusion(r, "end", 50)
    texts = [(c["text"], c["at_s"]) for c in r.snapshot(at(51))["checkpoints"]]
    assert texts == [("baseline BP", 300.0), ("BP and HR", 1500.0), ("BP and HR", 2400.0),
                     ("discharge check", 6600.0)]            # 55, 70, ... will never happen: left out
    assert due_texts(r, 56) == []
    assert due_texts(r, 110.5) == [("discharge check", 110.0)]


def test_a_repeat_exactly_at_the_end_still_happens() -> None:
    r = started()
    infusion(r, "start", 10)
    infusion(r, "end", 40)
    assert due_texts(r, 40.5) == [("BP and HR", 25.0), ("BP and HR", 40.0)]


def test_the_anchors_survive_a_restart_in_between() -> None:
    r = started()
    infusion(r, "start", 20)
    s = r.session
    saved = to_saved(state=r.state, session_id="20260101-090000-room-3", playlist_path="/m/p.yaml",
                     timeline=s.timeline, elapsed_s=30 * MIN, clocks=ClockReadings(T0, 50.0, "b"), track_index=0,
                     position_s=5.0, master_db=-12.0, fading_out=False, checkpoints=s.checkpoints.to_dict())
    assert saved["checkpoints"]["anchors"] == {"infusion_start": 1200.0}
    again = SessionMachine(config_from_mapping({}))
    now = ORIGIN + 1000.0
    again.restore(parse_saved(saved), playlist(), now, Downtime(60.0, "boottime", True))   # at session 31 min
    assert again.snapshot(now)["infusion"]["started_s"] == 1200.0
    assert [(fx.details["text"], fx.at_s) for fx in records(again.tick(now + 4 * MIN + 1, NONE), "checkpoint_due")
            ] == [("BP and HR", 2100.0)]                   # 20 + 15 min, on the clock that ran on
    (end,) = records(command(again, "infusion", "cli", {"event": "end"}, now + 5 * MIN, NONE))   # after the restart
    assert (end.at_s, end.details) == (2160.0, {"duration_s": 960.0})
    assert again.snapshot(now + 5 * MIN)["infusion"]["state"] == "ended"


def test_a_saved_anchor_that_is_not_a_time_is_left_out() -> None:
    from player.core.checkpoints import CheckpointBook

    for odd in ({"infusion_start": "soon"}, {"infusion_start": float("nan")}, {"infusion_start": -1.0},
                {"infusion_start": True}, ["infusion_start"], {"elsewhen": 3.0}):
        assert CheckpointBook.from_dict(CPS, 300.0, {"anchors": odd}).anchors == {}


# --- the recovery phase until infusion_end + 60m -----------------------------------------------

def test_a_late_infusion_end_keeps_the_recovery_hour_whole() -> None:
    r = started()
    infusion(r, "start", 10)
    infusion(r, "end", 75)                                 # planned end of the plan: 120; 75 + 60 = 135
    r.tick(at(80.01), NONE)                                # into recovery: lengthened on entry
    snap = r.snapshot(at(81))
    assert snap["phase"] == "recovery" and snap["phase_remaining_s"] == pytest.approx(54 * MIN)
    assert snap["infusion"]["until"] == {"phase": "recovery", "margin_s": 3600.0, "anchored": True,
                                         "earliest_end_s": 135 * MIN}


def test_the_end_recorded_during_recovery_lengthens_it_then_and_there() -> None:
    r = started()
    infusion(r, "start", 10)
    r.tick(at(80.01), NONE)
    effects = infusion(r, "end", 90.5)
    ext = records(effects, "phase_extended")
    assert [(fx.source, fx.at_s, fx.details) for fx in ext] == [
        ("system", 90.5 * MIN, {"phase": "recovery", "minutes": 30.5, "planned_end_s": 150.5 * MIN,
                                "reason": "until infusion end + 1:00:00"})]
    assert silent(effects)


def test_an_early_end_changes_nothing_the_plan_already_covers() -> None:
    r = started()
    infusion(r, "start", 10)
    infusion(r, "end", 40)                                # 40 + 60 = 100 < 120
    effects = r.tick(at(80.01), NONE)
    assert records(effects, "phase_extended") == []
    assert r.snapshot(at(81))["phase_remaining_s"] == pytest.approx(39 * MIN)


def test_without_an_infusion_end_the_planned_duration_holds_and_says_so() -> None:
    r = started()
    infusion(r, "start", 10)
    r.tick(at(80.01), NONE)
    snap = r.snapshot(at(81))
    assert snap["phase_remaining_s"] == pytest.approx(39 * MIN)
    assert snap["infusion"]["until"]["anchored"] is False
    assert r.tick(at(120.01), NONE) and r.state == "ended"


def test_a_pause_in_recovery_still_counts_and_the_end_is_never_earlier_than_the_rule() -> None:
    r = started()
    infusion(r, "start", 10)
    r.tick(at(80.01), NONE)
    command(r, "pause", "web", {}, at(85), NONE)
    (ext,) = records(infusion(r, "end", 95), "phase_extended")     # 95 + 60 = 155; paused 10 min so far
    assert ext.details["minutes"] == 25.0                  # 120 + 10 paused + 25 = 155
    command(r, "resume", "web", {}, at(100), NONE)         # the 5 min more of the pause are added on resume
    snap = r.snapshot(at(100))
    assert snap["elapsed_s"] + snap["phase_remaining_s"] == pytest.approx(160 * MIN)


def test_a_playlist_without_until_reports_none() -> None:
    r = started(playlist(until_s=None))
    infusion(r, "start", 10)
    infusion(r, "end", 110)
    assert r.snapshot(at(111))["infusion"]["until"] is None
    r.tick(at(120.01), NONE)
    assert r.state == "ended"


def test_a_repeat_just_after_the_end_never_happens() -> None:
    r = started()
    infusion(r, "start", 10)
    command(r, "infusion", "cli", {"event": "end"}, at(40) - 0.5, NONE)     # 0.5 s before the 40 min repeat
    assert due_texts(r, 41) == [("BP and HR", 25.0)]


def test_the_oldest_due_is_by_time_not_by_the_playlists_order() -> None:
    from player.core.checkpoints import CheckpointBook

    book = CheckpointBook((Checkpoint(1800.0, "plain at 30 min", 3), Checkpoint(600.0, "BP", 4,
                                                                                 after="infusion_start")), 600.0)
    book.anchor("infusion_start", 900.0)                 # BP due at 25 min: before the plain one
    assert book.due(1850.0) == [1, 0] and book.pick(1850.0, None) == 1
