"""Calmer music on demand, the pure core: which tracks, until when, and back to the plan.

The rules (player/core/session.py with player/core/calmer_rules.py) walked through
every path: in and out by staff, by the clock, at a phase boundary, across a pause and a
restart, refusals with their reasons, and the control's arguments as every edge sends them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.control.controller import check_control
from player.core import calmer as calm
from player.core.calmer_rules import restore_calmer
from player.core.checklist import checklist_answers
from player.core.effects import Record
from player.core.media import MixerEvent
from player.core.resume import (
    ClockReadings,
    Downtime,
    check_saved_calmer,
    parse_saved,
    to_saved,
)
from player.core.running import MixerView
from player.core.session import SessionMachine
from player.core.vocabulary import check_record, describe, refusal
from player.errors import SessionRefused
from player.playlist.model import Phase, Playlist, Track
from tests.core.effect_names import AUDIO, call, command, kwargs

NONE = MixerView()
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))


def tracks(name: str, n: int = 2) -> tuple[Track, ...]:
    return tuple(Track(Path(f"/m/{name}-{i}.flac"), duration_s=300.0) for i in range(n))


def playlist(*, own: bool = True, default: bool = True, crossfade: float = 8.0) -> Playlist:
    """settling (its own calmer music), peak (the playlist's), recovery; 10 min each."""
    phases = (Phase("settling", 600.0, tracks("settling"), crossfade, calmer=tracks("calm-settling") if own else ()),
              Phase("peak", 600.0, tracks("peak"), crossfade),
              Phase("recovery", 600.0, tracks("recovery"), crossfade))
    return Playlist("P", Path("/m/p.yaml"), crossfade, phases, calmer=tracks("calm", 3) if default else ())


def started(pl: Playlist | None = None, **config) -> SessionMachine:
    r = SessionMachine(config_from_mapping({"room": "Room 3", **config}))
    command(r, "start", "web", {"playlist": pl or playlist(), "session_id": "s1"}, 100.0, NONE)
    return r


def records(effects, kind: str | None = None) -> list[Record]:
    out = [fx for fx in effects if isinstance(fx, Record) and (kind is None or fx.type == kind)]
    for fx in out:
        check_record(fx.type, fx.source, fx.details)
    return out


def music(effects) -> list[tuple[str, str, float | None]]:
    """(call, file, crossfade) of each call that changes what is heard."""
    return [(call(fx), kwargs(fx)["source"].path.name if kwargs(fx).get("source") else None,
             kwargs(fx).get("crossfade_s", kwargs(fx).get("fade_in_s"))) for fx in effects
            if isinstance(fx, AUDIO) and call(fx) in ("play", "crossfade_to", "queue_next", "stop")]


def hear(r: SessionMachine, effects, at: float) -> None:
    """The mixer says the source the effects handed it is heard."""
    source = next(kwargs(fx)["source"] for fx in effects if isinstance(fx, AUDIO) and kwargs(fx).get("source"))
    r.heard(MixerEvent("track_started", source), at, NONE)


def test_calmer_crossfades_into_the_phases_own_calmer_music_now() -> None:
    r = started()
    end_before = r.session.timeline.phase_end_s
    effects = command(r, "calmer", "web", {}, 160.0, NONE)
    [rec] = records(effects, "calmer_started")
    assert rec.source == "web" and rec.at_s == 60.0 and rec.details == {"phase": "settling", "minutes": None,
                                                                          "until_s": None}
    assert music(effects) == [("crossfade_to", "calm-settling-0.flac", 8.0)]
    assert r.session.timeline.phase_end_s == end_before                  # the phase clock does not move
    snap = r.snapshot(170.0)
    assert snap["calmer"] == {"since_s": 60.0, "until_s": None} and snap["calmer_available"] is True
    assert snap["track"] == "calm-settling-0.flac" and snap["phase_remaining_s"] == 530.0


def test_a_phase_without_its_own_plays_the_playlists_calmer_music() -> None:
    r = started()
    command(r, "advance", "web", {}, 110.0, NONE)
    effects = command(r, "calmer", "cli", {"minutes": 5.0}, 120.0, NONE)
    assert music(effects) == [("crossfade_to", "calm-0.flac", 8.0)]
    assert records(effects, "calmer_started")[0].details == {"phase": "peak", "minutes": 5.0, "until_s": 320.0}


def test_no_calmer_music_is_refused_with_the_reason_and_changes_nothing() -> None:
    r = started(playlist(own=False, default=False))
    assert r.snapshot(101.0)["calmer_available"] is False
    with pytest.raises(SessionRefused, match="^no calmer music for phase settling: add 'calmer:' tracks"):
        command(r, "calmer", "web", {}, 110.0, NONE)
    assert r.session.calmer is None and r.take_effects() == []


def test_minutes_end_on_the_clock_and_crossfade_back_to_the_plan_at_the_next_turn() -> None:
    r = started()
    command(r, "calmer", "web", {"minutes": 2.0}, 130.0, NONE)       # at 30 s, until 150 s
    assert r.next_due_s(140.0) == pytest.approx(110.0)                # at 40 s: 110 s to go
    assert records(r.tick(249.9, NONE)) == []
    effects = r.tick(250.2, NONE)
    [ended] = records(effects, "calmer_ended")
    assert ended.at_s == 150.0 and ended.source == "system" and ended.details == {"phase": "settling",
                                                                                    "reason": "time up"}
    assert music(effects) == [("crossfade_to", "settling-1.flac", 8.0)]  # turn 0 was interrupted: turn 1 now
    assert r.snapshot(251.0)["calmer"] is None and r.session.phase.tracks == tracks("settling")


def test_calmer_off_goes_back_by_staff_and_is_refused_when_none_plays() -> None:
    r = started()
    with pytest.raises(SessionRefused, match="calmer music is not playing"):
        command(r, "calmer", "web", {"off": True}, 110.0, NONE)
    command(r, "calmer", "web", {}, 120.0, NONE)
    effects = command(r, "calmer", "button", {"off": True}, 130.0, NONE)
    assert [(x.source, x.details["reason"]) for x in records(effects, "calmer_ended")] == [("button", "staff")]
    assert music(effects) == [("crossfade_to", "settling-1.flac", 8.0)]


def test_a_phase_boundary_ends_calmer_music_and_the_next_phase_plays_its_own() -> None:
    r = started()
    command(r, "calmer", "web", {}, 200.0, NONE)
    effects = r.tick(700.5, MixerView(current_token=2))
    assert [(x.type, x.at_s) for x in records(effects)][:3] == [("calmer_ended", 600.0), ("phase_ended", 600.0),
                                                                 ("phase_started", 600.0)]
    assert records(effects, "calmer_ended")[0].details["reason"] == "phase ended"
    assert music(effects) == [("crossfade_to", "peak-0.flac", 8.0)]
    assert r.session.calmer is None and r.session.phase.name == "peak"


def test_advance_during_calmer_music_ends_it_with_the_phase() -> None:
    r = started()
    command(r, "calmer", "web", {}, 200.0, NONE)
    effects = command(r, "advance", "web", {}, 210.0, NONE)
    assert [x.type for x in records(effects)][:3] == ["phase_advanced", "calmer_ended", "phase_ended"]
    assert music(effects) == [("crossfade_to", "peak-0.flac", 8.0)]


def test_a_pause_moves_the_end_of_calmer_music_as_it_moves_the_phase() -> None:
    r = started()
    command(r, "calmer", "web", {"minutes": 3.0}, 120.0, NONE)      # until 200 s
    command(r, "pause", "web", {}, 150.0, NONE)
    with pytest.raises(SessionRefused, match="^cannot change to or from calmer music: the session is paused; "
                                             "resume it first$"):
        command(r, "calmer", "web", {"off": True}, 160.0, NONE)
    command(r, "resume", "web", {}, 250.0, NONE)                       # paused 100 s
    assert r.session.calmer.until_s == 300.0 and r.session.timeline.phase_end_s == 700.0
    assert not records(r.tick(399.0, NONE), "calmer_ended")
    assert records(r.tick(400.0, NONE), "calmer_ended")[0].at_s == 300.0


def test_asking_again_changes_only_its_end() -> None:
    r = started()
    command(r, "calmer", "web", {"minutes": 2.0}, 120.0, NONE)
    effects = command(r, "calmer", "web", {"minutes": 10.0}, 180.0, NONE)
    assert music(effects) == [] and r.session.calmer.since_s == 20.0 and r.session.calmer.until_s == 680.0
    effects = command(r, "calmer", "web", {}, 190.0, NONE)
    assert r.session.calmer.until_s is None and records(effects, "calmer_started")[0].details["minutes"] is None


def test_skips_failures_and_late_events_stay_in_the_right_list() -> None:
    r = started()
    plan_first = music(command(r, "calmer", "web", {}, 101.0, NONE))     # nothing heard yet (the start fade)
    assert plan_first[0][1] == "calm-settling-0.flac"
    effects = command(r, "next", "web", {}, 110.0, NONE)
    assert music(effects) == [("crossfade_to", "calm-settling-1.flac", 8.0)]
    hear(r, effects, 111.0)
    following = r.heard(MixerEvent("needs_track", None), 112.0, NONE)
    assert music(following)[0][1] == "calm-settling-0.flac"        # calmer music loops
    calmer_source = kwargs(following[0])["source"]
    command(r, "calmer", "web", {"off": True}, 120.0, NONE)
    turn = r.session.cursor.track_index
    late = r.heard(MixerEvent("track_started", calmer_source), 121.0, NONE)   # arrives after the switch back
    assert r.session.cursor.track_index == turn
    assert records(late, "track_started")[0].details["calmer"] is True


def test_track_started_says_calmer_music() -> None:
    r = started()
    effects = command(r, "calmer", "web", {}, 120.0, NONE)
    source = next(kwargs(fx)["source"] for fx in effects if isinstance(fx, AUDIO) and call(fx) == "crossfade_to")
    [rec] = records(r.heard(MixerEvent("track_started", source), 121.0, NONE), "track_started")
    assert rec.details == {"phase": "settling", "file": "calm-settling-0.flac", "calmer": True}
    assert describe({"type": rec.type, "details": rec.details}) == "playing calm-settling-0.flac (calmer music)"


def test_the_last_phases_fade_out_and_a_finishing_track_refuse_calmer_music() -> None:
    pl = playlist()
    last = Phase("recovery", 600.0, tracks("recovery"), 8.0, fade_out_s=60.0)
    r = started(Playlist("P", pl.path, 8.0, (pl.phases[0], last), calmer=pl.calmer))
    command(r, "advance", "web", {}, 110.0, NONE)
    r.tick(110.0 + 545.0, NONE)
    with pytest.raises(SessionRefused, match="is ending"):
        command(r, "calmer", "web", {}, 110.0 + 550.0, NONE)


def test_calmer_music_is_measured_ahead_with_the_plan() -> None:
    r = SessionMachine(config_from_mapping({"room": "Room 3"}))
    effects = command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, 0.0, NONE)
    prefetch = next(fx for fx in effects if isinstance(fx, AUDIO) and call(fx) == "prefetch")
    names = [s.path.name for s in kwargs(prefetch)["sources"]]
    assert names[-5:] == ["calm-settling-0.flac", "calm-settling-1.flac", "calm-0.flac", "calm-1.flac", "calm-2.flac"]


def test_the_descriptions() -> None:
    text = describe({"type": "calmer_started", "details": {"phase": "peak", "minutes": 10.0, "until_s": 1800.0}})
    assert text == "calmer music for 10 min (until 30:00) in peak"
    text = describe({"type": "calmer_started", "details": {"phase": "peak", "minutes": None, "until_s": None}})
    assert text == "calmer music until staff switch back or the phase ends in peak"
    assert describe({"type": "calmer_ended", "details": {"phase": "peak", "reason": "staff"}}) == \
        "back to the plan's music in peak (staff)"
    assert refusal("idle", "calmer") == "cannot change to or from calmer music: no session is running; " \
                                        "start a playlist first"


# --- a restart -----------------------------------------------------------------------------

def saved_during_calmer(r: SessionMachine, elapsed: float, state: str = "playing") -> dict:
    s = r.session
    return to_saved(state=state, session_id=s.id, playlist_path=str(s.playlist.path), timeline=s.timeline,
                    elapsed_s=elapsed, clocks=ClockReadings(T0, 50.0, "b"), track_index=s.cursor.track_index,
                    position_s=30.0, master_db=-12.0, fading_out=False,
                    calmer=None if s.calmer is None else s.calmer.to_saved())


def restored(data: dict, pl: Playlist, gap_s: float = 2.0) -> tuple[SessionMachine, list]:
    r = SessionMachine(config_from_mapping({"room": "Room 3"}))
    effects = r.restore(parse_saved(data), pl, 1000.0, Downtime(gap_s, "boottime", True))
    return r, effects


def test_calmer_music_survives_a_restart() -> None:
    r = started()
    command(r, "calmer", "web", {"minutes": 5.0}, 150.0, NONE)       # at 50 s, until 350 s
    r2, effects = restored(saved_during_calmer(r, 100.0), playlist())
    assert r2.session.calmer.status() == {"since_s": 50.0, "until_s": 350.0}
    assert music(effects)[0][:2] == ("play", "calm-settling-0.flac")
    assert kwargs(effects[[isinstance(fx, AUDIO) and call(fx) == "play" for fx in effects].index(True)])[
        "source"].start_s == 32.0                                    # where it was, plus the 2 s down


def test_a_restart_ends_calmer_music_the_playlist_no_longer_has() -> None:
    r = started()
    command(r, "calmer", "web", {}, 150.0, NONE)
    r2, effects = restored(saved_during_calmer(r, 100.0), playlist(own=False, default=False))
    [ended] = records(effects, "calmer_ended")
    assert ended.details["reason"] == "no calmer music in the playlist now" and r2.session.calmer is None
    assert music(effects)[0][:2] == ("play", "settling-1.flac")
    assert music_source(effects).start_s == 0.0              # the saved place was in the calmer track


def test_a_restart_after_the_calmer_period_is_over_goes_back_to_the_plan() -> None:
    r = started()
    command(r, "calmer", "web", {"minutes": 1.0}, 150.0, NONE)       # until 110 s
    r2, effects = restored(saved_during_calmer(r, 100.0), playlist(), gap_s=30.0)
    assert [x.details["reason"] for x in records(effects, "calmer_ended")] == ["time up"]
    assert music(effects)[0][:2] == ("play", "settling-1.flac")
    assert kwargs(effects[[isinstance(fx, AUDIO) and call(fx) == "play" for fx in effects].index(True)])[
        "source"].start_s == 0.0


@pytest.mark.parametrize("saved,reason", [
    ({"phase_index": -1, "plan_turn": 0, "since_s": 1.0}, "not a count"),
    ({"phase_index": 0, "plan_turn": True, "since_s": 1.0}, "not a count"),
    ({"phase_index": 0, "plan_turn": 0, "since_s": float("nan")}, "not a finite number"),
    ({"phase_index": 0, "plan_turn": 0, "since_s": 1.0, "until_s": "soon"}, "not a finite number"),
    ([1], "not a JSON object"),
])
def test_a_saved_calmer_period_that_must_not_be_trusted_is_refused(saved, reason) -> None:
    with pytest.raises(ValueError, match=reason):
        check_saved_calmer(saved)


# --- the control's arguments, as every edge sends them ------------------------------------------

@pytest.mark.parametrize("args,expected", [
    ({}, {}), ({"minutes": 10}, {"minutes": 10.0}), ({"minutes": None}, {}), ({"off": True}, {"off": True}),
    ({"minutes": 240}, {"minutes": 240.0}),
])
def test_calmer_arguments_accepted(args, expected) -> None:
    assert check_control("calmer", "web", args).args == expected


@pytest.mark.parametrize("args,message", [
    ({"minutes": 0}, "more than 0 and at most 240"), ({"minutes": 241}, "at most 240"),
    ({"minutes": "ten"}, "minutes must be a number"), ({"minutes": float("inf")}, "must be a number"),
    ({"off": False}, "off: true alone"), ({"off": True, "minutes": 5}, "off: true alone"),
    ({"off": "yes"}, "off: true alone"), ({"level": 1}, "calmer takes no level"),
])
def test_calmer_arguments_refused(args, message) -> None:
    with pytest.raises(SessionRefused, match=message):
        check_control("calmer", "web", args)


# --- the pre-session checklist -----------------------------------------------------------------

ITEMS = ["headphones fitted", "eye mask", "comfortable level checked"]


def session_config(require: bool = False):
    return config_from_mapping({"session": {"checklist": ITEMS, "require_checklist": require}}).session


@pytest.mark.parametrize("checked,ticked", [
    (True, [True, True, True]), (None, [False, False, False]), (["eye mask"], [False, True, False]),
    ([], [False, False, False]),
])
def test_checklist_answers_name_every_item(checked, ticked) -> None:
    expected = [{"item": i, "checked": t} for i, t in zip(ITEMS, ticked, strict=True)]
    assert checklist_answers(session_config(), checked) == expected


def test_a_required_checklist_refuses_a_start_naming_what_is_left() -> None:
    with pytest.raises(SessionRefused, match="^the pre-session checklist is not complete: headphones fitted, "
                                             "comfortable level checked not checked"):
        checklist_answers(session_config(require=True), ["eye mask"])
    assert all(a["checked"] for a in checklist_answers(session_config(require=True), list(ITEMS)))


def test_an_item_not_on_the_checklist_is_refused() -> None:
    with pytest.raises(SessionRefused, match="not on the pre-session checklist: 'earplugs'"):
        checklist_answers(session_config(), ["earplugs"])
    assert checklist_answers(config_from_mapping({}).session, True) == []


def test_the_start_record_carries_the_answers_and_a_required_list_refuses_the_start() -> None:
    r = started(session={"checklist": ITEMS})
    assert r.state == "playing"
    r = SessionMachine(config_from_mapping({"session": {"checklist": ITEMS}}))
    effects = command(r, "start", "web", {"playlist": playlist(), "session_id": "s1", "checked": ["eye mask"]},
                        0.0, NONE)
    assert records(effects, "session_started")[0].details["checklist"][1] == {"item": "eye mask", "checked": True}
    r = SessionMachine(config_from_mapping({"session": {"checklist": ITEMS, "require_checklist": True}}))
    with pytest.raises(SessionRefused, match="not complete"):
        command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, 0.0, NONE)
    assert r.state == "idle" and r.session is None


@pytest.mark.parametrize("checked,ok", [(True, True), (["a", "b"], True), ("all", False), ([1], False),
                                        (["two\nlines"], False), (["x"] * 31, False), (False, False)])
def test_checked_arguments(checked, ok) -> None:
    if ok:
        assert check_control("start", "web", {"checked": checked}).args["checked"] == checked
    else:
        with pytest.raises(SessionRefused, match="checked must be true or a list"):
            check_control("start", "web", {"checked": checked})


# --- exact: what mutation testing asked for ------------------------------------------------------

def test_calmer_in_and_out_use_at_least_3_s_of_crossfade() -> None:
    r = started(playlist(crossfade=1.0))
    assert music(command(r, "calmer", "web", {}, 120.0, NONE)) == [("crossfade_to", "calm-settling-0.flac", 3.0)]
    effects = command(r, "calmer", "web", {"off": True}, 130.0, NONE)
    assert music(effects) == [("crossfade_to", "settling-1.flac", 3.0)]
    assert [(x.at_s, x.details) for x in records(effects, "calmer_ended")] == [
        (30.0, {"phase": "settling", "reason": "staff"})]
    assert calm.crossfade_s(Phase("p", 60.0, (), 12.0)) == 12.0


def test_calmer_music_loops_even_in_an_on_short_silence_phase_and_only_its_phase_changes() -> None:
    pl = playlist()
    silent = Playlist("P", pl.path, 8.0, (pl.phases[0], Phase("peak", 600.0, tracks("peak"), 8.0, on_short="silence"),
                                          pl.phases[2]), calmer=pl.calmer)
    c = calm.begin(silent, 1, 10.0, None, 0)
    assert [p.name for p in c.music.phases] == ["settling", "peak", "recovery"]
    assert c.music.phases[0] == silent.phases[0] and c.music.phases[2] == silent.phases[2]
    assert c.music.phases[1].tracks == pl.calmer and c.music.phases[1].on_short == "loop"
    assert (c.minutes, c.until_s, c.since_s, c.plan_turn) == (None, None, 10.0, 0)
    assert calm.begin(silent, 0, 10.0, 2.5, 3, since_s=4.0).minutes == 2.5


def test_the_saved_calmer_period_round_trips_exactly() -> None:
    c = calm.begin(playlist(), 0, 12.34567, 2.5, 3, since_s=1.23456)
    assert c.status() == {"since_s": 1.235, "until_s": 162.346}
    saved = c.to_saved()
    assert saved == {"phase_index": 0, "since_s": 1.235, "plan_turn": 3, "until_s": 162.346, "minutes": 2.5}
    assert check_saved_calmer(saved) == {"phase_index": 0, "plan_turn": 3, "since_s": 1.235, "until_s": 162.346,
                                       "minutes": 2.5}
    back = calm.restored(playlist(), check_saved_calmer(saved), 0)
    assert back.to_saved() == saved and back.phase_index == 0
    assert calm.restored(playlist(), check_saved_calmer(saved), 1) is None       # the phase moved on
    assert check_saved_calmer(None) is None
    assert c.shifted(10.0).until_s == pytest.approx(172.34567)
    unlimited = calm.begin(playlist(), 0, 5.0, None, 0)
    assert unlimited.shifted(10.0) is unlimited and unlimited.to_saved()["until_s"] is None


@pytest.mark.parametrize("saved,message", [
    ("x", "calmer is not a JSON object"),
    ({"phase_index": "0", "plan_turn": 0, "since_s": 1.0}, "calmer.phase_index '0' is not a count"),
    ({"phase_index": 0, "plan_turn": 1_000_000, "since_s": 1.0}, "calmer.plan_turn 1000000 is not a count"),
    ({"phase_index": 0, "plan_turn": 0}, r"calmer.since_s is not a finite number \(None\)"),
    ({"phase_index": 0, "plan_turn": 0, "since_s": 1.0, "until_s": True}, "calmer.until_s is not a finite number"),
    ({"phase_index": 0, "plan_turn": 0, "since_s": 1.0, "minutes": "5"}, "calmer.minutes is not a finite number"),
])
def test_saved_calmer_refusals_name_the_key(saved, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        check_saved_calmer(saved)
    assert check_saved_calmer({"phase_index": 0, "plan_turn": 999_999, "since_s": 1.0})["plan_turn"] == 999_999


def test_restored_calmer_music_is_heard_as_calmer_music_and_the_record_is_exact() -> None:
    r = started()
    command(r, "calmer", "web", {}, 150.0, NONE)
    r2, effects = restored(saved_during_calmer(r, 100.0), playlist())
    [rec] = records(r2.heard(MixerEvent("track_started", music_source(effects)), 1001.0, NONE), "track_started")
    assert rec.details.get("calmer") is True
    r = started()
    command(r, "calmer", "web", {}, 150.0, NONE)
    r3, effects = restored(saved_during_calmer(r, 100.0), playlist(own=False, default=False))
    [ended] = records(effects, "calmer_ended")
    assert (ended.at_s, ended.source, ended.details) == (102.0, "system", {
        "phase": "settling", "reason": "no calmer music in the playlist now"})
    assert restore_calmer(SessionMachine(config_from_mapping({})), parse_saved(saved_during_calmer(r, 1.0)), 1.0) \
        is False                                                          # no session: nothing to take up


def music_source(effects):
    return next(kwargs(fx)["source"] for fx in effects if isinstance(fx, AUDIO) and call(fx) == "play")


def test_wording_of_the_refusals() -> None:
    r = started()
    with pytest.raises(SessionRefused, match=r"^calmer music is not playing; the plan's music plays$"):
        command(r, "calmer", "web", {"off": True}, 110.0, NONE)
    with pytest.raises(SessionRefused, match=r"^no calmer music for phase settling: add 'calmer:' tracks to the "
                                             r"phase or to the playlist$"):
        calm.begin(playlist(own=False, default=False), 0, 1.0, None, 0)
    with pytest.raises(SessionRefused, match=r"^not on the pre-session checklist: 'a', 'b' \(it has: "
                                             r"'headphones fitted', 'eye mask', 'comfortable level checked'\)$"):
        checklist_answers(session_config(), ["b", "a"])
    with pytest.raises(SessionRefused, match=r"^not on the pre-session checklist: 'x' \(it has: none: "
                                             r"session.checklist is empty\)$"):
        checklist_answers(config_from_mapping({}).session, ["x"])
    with pytest.raises(SessionRefused, match=r"not checked \(tick every item on the page, or start --checked once "
                                             r"all are done\)$"):
        checklist_answers(session_config(require=True), [])


def test_a_finish_track_phase_lets_the_calmer_track_play_out_then_the_next_phase_plays_its_own() -> None:
    pl = playlist()
    first = Phase("settling", 600.0, tracks("settling"), 8.0, finish_track=True, calmer=tracks("calm-settling"))
    r = started(Playlist("P", pl.path, 8.0, (first, *pl.phases[1:]), calmer=pl.calmer))
    effects = command(r, "calmer", "web", {"minutes": 9.0}, 200.0, NONE)      # until 640 s: after the phase's end
    hear(r, effects, 201.0)
    token = r.session.cursor.next_token
    effects = r.tick(700.5, MixerView(current_token=token))          # the phase's time is up: its track plays out
    [queued] = [fx for fx in effects if isinstance(fx, AUDIO) and call(fx) == "queue_next"]
    assert kwargs(queued)["source"].path.name == "peak-0.flac" and r.session.calmer is not None
    assert not records(r.tick(800.0, MixerView(current_token=token)), "calmer_ended")   # due, but it plays out
    effects = r.heard(MixerEvent("track_started", kwargs(queued)["source"]), 750.0, NONE)
    assert [x.type for x in records(effects)][:3] == ["calmer_ended", "phase_ended", "phase_started"]
    assert records(effects, "track_started")[0].details == {"phase": "peak", "file": "peak-0.flac"}
    assert r.session.calmer is None and r.session.cursor.track_index == 0
