"""Checkpoints in the pure core: the book's states, and the rules around it (due on ticks, pause, ack, restore).

Never audible: no input involving a checkpoint yields an Audio or Volume effect.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.core.checkpoints import CheckpointBook
from player.core.effects import Record
from player.core.resume import ClockReadings, Downtime, parse_saved, to_saved
from player.core.running import MixerView
from player.core.session import SessionMachine
from player.core.vocabulary import check_record
from player.errors import SessionRefused
from player.playlist.model import Checkpoint, Phase, Playlist, Track
from tests.core.effect_names import AUDIO, Storage, Volume, command

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
NONE = MixerView()
ORIGIN = 100.0   # monotonic reading at session time 0
CPS = (Checkpoint(600.0, "BP and sedation", 7), Checkpoint(1200.0, "HR", 8), Checkpoint(1200.0, "BP at 20 min", 9))


def book(grace_s: float = 300.0) -> CheckpointBook:
    return CheckpointBook(CPS, grace_s)


# --- the book --------------------------------------------------------------------------------

@pytest.mark.parametrize("at,states", [
    (0.0, ["upcoming", "upcoming", "upcoming"]),
    (599.999, ["upcoming", "upcoming", "upcoming"]),
    (600.0, ["due", "upcoming", "upcoming"]),
    (899.999, ["due", "upcoming", "upcoming"]),
    (900.0, ["missed", "upcoming", "upcoming"]),
    (1200.0, ["missed", "due", "due"]),
    (1500.0, ["missed", "missed", "missed"]),
])
def test_states_follow_the_clock(at: float, states: list[str]) -> None:
    assert [c["state"] for c in book().snapshot(at)] == states


def test_done_stays_done_and_keeps_when() -> None:
    b = book()
    assert b.acknowledge(0, 650.0, "web", "ack") == {"index": 0, "text": "BP and sedation", "at_s": 600.0,
                                                     "late_s": 50.0}
    assert b.snapshot(5000.0)[0] == {"at_s": 600.0, "text": "BP and sedation", "state": "done", "done_at_s": 650.0}


def test_pick_is_the_oldest_due_or_the_one_whose_text_starts_so() -> None:
    b = book()
    assert b.pick(500.0, None) is None
    assert b.pick(1250.0, None) == 1 and b.pick(1250.0, "bp") == 2 and b.pick(1250.0, "  hr ") == 1
    assert b.pick(1250.0, "sedation") is None   # a prefix, not a word anywhere
    assert b.pick(700.0, "bp") == 0


def test_advance_announces_each_moment_once_at_its_exact_time() -> None:
    b = book()
    assert b.advance(599.0) == []
    assert b.advance(601.0) == [("checkpoint_due", 600.0, {"index": 0, "text": "BP and sedation", "at_s": 600.0})]
    assert b.advance(602.0) == []
    late = b.advance(2000.0)                       # a long gap: due and missed of all, in time order
    assert [(t, at) for t, at, _ in late] == [("checkpoint_missed", 900.0), ("checkpoint_due", 1200.0),
                                             ("checkpoint_due", 1200.0), ("checkpoint_missed", 1500.0),
                                             ("checkpoint_missed", 1500.0)]
    assert b.advance(3000.0) == []


def test_an_acknowledged_one_is_never_missed() -> None:
    b = book()
    b.advance(610.0)
    b.acknowledge(0, 610.0, "cli", "ack")
    assert all(d["index"] != 0 for _, _, d in b.advance(5000.0))


def test_next_change_wakes_for_due_then_for_missed() -> None:
    b = book(grace_s=60.0)
    assert b.next_change_s(0.0) == 600.0
    assert b.next_change_s(630.0) == 30.0          # 0 becomes missed at 660
    b.acknowledge(0, 630.0, "web", "ack")
    assert b.next_change_s(630.0) == 570.0
    assert b.next_change_s(5000.0) is None
    assert CheckpointBook().next_change_s(0.0) is None


def test_the_book_round_trips_and_refuses_what_does_not_fit() -> None:
    b = book()
    b.advance(1250.0)
    b.acknowledge(1, 1250.0, "cli", "hr")
    again = CheckpointBook.from_dict(CPS, 300.0, b.to_dict())
    assert again.done == b.done and again.announced == b.announced
    odd = {"done": [[9, 1.0, "cli", "ack"], [True, 1.0, "cli", "ack"], ["0", 1, "a", "b"], [0, "x", "a", "b"], 5],
           "announced": [[0, 3], [7, 1], [1, 1, 1]]}
    assert CheckpointBook.from_dict(CPS, 300.0, odd) == CheckpointBook(CPS, 300.0)
    assert CheckpointBook.from_dict(CPS, 300.0, None) == CheckpointBook(CPS, 300.0)


# --- in the rules ------------------------------------------------------------------------------

def playlist() -> Playlist:
    phases = tuple(Phase(name, length, (Track(Path(f"/m/{name}.flac"), duration_s=300.0),), 8.0)
                   for name, length in (("settling", 500.0), ("onset", 900.0), ("recovery", 600.0)))
    return Playlist("P", Path("/m/p.yaml"), 8.0, phases, checkpoints=CPS)


def started(grace_s: float = 300.0) -> SessionMachine:
    r = SessionMachine(config_from_mapping({"session": {"checkpoint_grace_s": grace_s}}))
    effects = command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, ORIGIN, NONE)
    first = next(fx for fx in effects if isinstance(fx, Record) and fx.type == "session_started")
    assert first.details["checkpoints"][0] == {"at_s": 600.0, "text": "BP and sedation"}
    return r


def records(effects, type_: str | None = None) -> list[Record]:
    out = [fx for fx in effects if isinstance(fx, Record) and (type_ is None or fx.type == type_)]
    for fx in out:
        check_record(fx.type, fx.source, fx.details)
    return out


def silent(effects) -> bool:
    return not any(isinstance(fx, (*AUDIO, Volume)) for fx in effects)


def test_due_on_the_tick_silently_and_saved() -> None:
    r = started()
    r.tick(ORIGIN + 590.0, NONE)                        # into onset (ends at 1400)
    assert r.next_due_s(ORIGIN + 590.0) == 10.0
    assert records(r.tick(ORIGIN + 599.9, NONE), "checkpoint_due") == []
    effects = r.tick(ORIGIN + 600.02, NONE)
    assert [(fx.type, fx.at_s, fx.source) for fx in records(effects)] == [("checkpoint_due", 600.0, "system")]
    assert silent(effects) and Storage("save") in effects
    assert r.snapshot(ORIGIN + 601.0)["checkpoints"][0]["state"] == "due"


def test_pauses_do_not_move_checkpoints_and_they_come_due_while_paused() -> None:
    r = started()
    command(r, "pause", "web", {}, ORIGIN + 100.0, NONE)
    assert r.next_due_s(ORIGIN + 100.0) == 500.0                  # paused: the checkpoint still wakes the engine
    effects = r.tick(ORIGIN + 600.5, NONE)
    assert [fx.type for fx in records(effects)] == ["checkpoint_due"] and silent(effects)
    command(r, "resume", "web", {}, ORIGIN + 700.0, NONE)
    assert r.snapshot(ORIGIN + 700.0)["checkpoints"][1]["at_s"] == 1200.0   # the phase moved by 600 s, it did not
    assert r.snapshot(ORIGIN + 700.0)["phase_remaining_s"] == 400.0


def test_missed_after_the_grace() -> None:
    r = started(grace_s=120.0)
    r.tick(ORIGIN + 601.0, NONE)
    effects = r.tick(ORIGIN + 720.0, NONE)
    missed = records(effects, "checkpoint_missed")
    assert [(fx.at_s, fx.details["grace_s"]) for fx in missed] == [(720.0, 120.0)] and silent(effects)
    with pytest.raises(SessionRefused, match="no checkpoint is due"):
        command(r, "ack", "cli", {}, ORIGIN + 721.0, NONE)


def test_ack_takes_the_oldest_due_or_the_one_named() -> None:
    r = started()
    r.tick(ORIGIN + 1201.0, NONE)
    effects = command(r, "ack", "cli", {"text": "BP"}, ORIGIN + 1210.0, NONE)
    (ack,) = records(effects)
    assert (ack.type, ack.source, ack.details["index"], ack.details["late_s"]) == \
        ("checkpoint_acknowledged", "cli", 2, 10.0)
    assert silent(effects)
    effects = command(r, "ack", "web", {}, ORIGIN + 1211.0, NONE)
    assert records(effects)[0].details["index"] == 1
    with pytest.raises(SessionRefused, match="no checkpoint is due"):
        command(r, "ack", "web", {}, ORIGIN + 1212.0, NONE)
    states = [c["state"] for c in r.snapshot(ORIGIN + 1213.0)["checkpoints"]]
    assert states == ["missed", "done", "done"]


def test_ack_with_text_that_matches_nothing_names_what_is_due() -> None:
    r = started()
    with pytest.raises(SessionRefused, match="no checkpoint is due"):
        command(r, "ack", "cli", {"text": "BP"}, ORIGIN + 10.0, NONE)
    r.tick(ORIGIN + 1201.0, NONE)
    with pytest.raises(SessionRefused, match="no due checkpoint starts with 'temp'; due: HR; BP at 20 min"):
        command(r, "ack", "cli", {"text": "temp"}, ORIGIN + 1202.0, NONE)


def test_an_observation_acknowledges_the_checkpoint_its_label_starts() -> None:
    r = started()
    r.tick(ORIGIN + 1201.0, NONE)
    effects = command(r, "observe", "web", {"kind": "bp", "value": "128/82"}, ORIGIN + 1230.0, NONE)
    obs, ack = records(effects)
    assert obs.type == "observation" and obs.details["systolic"] == 128 and obs.source == "web"
    assert ack.type == "checkpoint_acknowledged" and ack.details["observation"] == "bp" and ack.details["index"] == 2
    assert silent(effects)
    effects = command(r, "observe", "web", {"kind": "spo2", "value": 97}, ORIGIN + 1231.0, NONE)
    assert [fx.type for fx in records(effects)] == ["observation"]       # no due checkpoint starts "SpO2"
    effects = command(r, "observe", "web", {"kind": "note", "value": "HR steady"}, ORIGIN + 1232.0, NONE)
    assert [fx.type for fx in records(effects)] == ["observation"]       # a note acknowledges nothing


def test_observations_without_any_checkpoint_are_just_recorded() -> None:
    r = started()
    effects = command(r, "observe", "cli", {"kind": "hr", "value": 72, "note": "after standing"}, ORIGIN + 5, NONE)
    (obs,) = records(effects)
    assert obs.details == {"kind": "hr", "label": "HR", "unit": "bpm", "value": 72, "note": "after standing"}


def test_acknowledged_and_announced_survive_a_restart() -> None:
    r = started()
    r.tick(ORIGIN + 601.0, NONE)
    command(r, "ack", "cli", {}, ORIGIN + 610.0, NONE)
    s = r.session
    saved = to_saved(state=r.state, session_id="20260101-090000-room-3", playlist_path="/m/p.yaml",
                     timeline=s.timeline, elapsed_s=650.0, clocks=ClockReadings(T0, 50.0, "b"), track_index=0,
                     position_s=50.0, master_db=-12.0, fading_out=False, checkpoints=s.checkpoints.to_dict())
    again = SessionMachine(config_from_mapping({}))
    again.restore(parse_saved(saved), playlist(), 5000.0, Downtime(600.0, "boottime", True))
    now = 5000.0
    assert again.snapshot(now)["checkpoints"][0] == {"at_s": 600.0, "text": "BP and sedation", "state": "done",
                                                     "done_at_s": 610.0}
    effects = again.tick(now, NONE)
    assert [(fx.type, fx.details["index"]) for fx in records(effects) if fx.type.startswith("checkpoint")] == [
        ("checkpoint_due", 1), ("checkpoint_due", 2)]          # at 1250 s: not announced before the cut
    assert not records(again.tick(now + 1.0, NONE), "checkpoint_due")       # once only


def test_an_old_saved_state_without_checkpoints_restores_with_none_done() -> None:
    r = SessionMachine(config_from_mapping({}))
    saved = {"version": 2, "state": "playing", "session_id": "20260101-090000-room-3", "playlist_path": "/m/p.yaml",
             "timeline": started().session.timeline.to_dict(),
             "elapsed_s": 100.0, "wall": T0.isoformat(), "boottime": 5.0, "boot_id": "b", "track_index": 0,
             "position_s": 1.0, "master_db": -12.0, "fading_out": False}
    r.restore(parse_saved(saved), playlist(), 500.0, Downtime(0.0, "boottime", True))
    assert [c["state"] for c in r.snapshot(500.0)["checkpoints"]] == ["upcoming"] * 3


def test_no_session_no_checkpoints_in_the_status() -> None:
    assert SessionMachine(config_from_mapping({})).snapshot(0.0)["checkpoints"] == []
