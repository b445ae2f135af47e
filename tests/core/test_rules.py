"""The session's pure core, exhaustively: every state x input, and the effects each rule makes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.core.cursor import Cursor
from player.core.effects import Notify, Record
from player.core.media import MixerEvent, Source
from player.core.resume import ClockReadings, Downtime, downtime, parse_saved, to_saved
from player.core.running import MixerView
from player.core.session import SessionMachine
from player.core.timeline import Timeline
from player.core.vocabulary import CONTROLS, STATES, check_record, next_state
from player.errors import SessionRefused
from player.playlist.model import Phase, Playlist, Track
from tests.core.effect_names import (
    AUDIO,
    Audio,
    Storage,
    Volume,
    call,
    command,
    kwargs,
    label,
)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
NONE = MixerView()


def playlist(tracks: int = 2, on_short: str = "loop") -> Playlist:
    phases = tuple(Phase(name, length, tuple(Track(Path(f"/m/{name}-{n}.flac"), duration_s=300.0)
                                            for n in range(tracks)), 8.0, on_short=on_short)
                   for name, length in (("settling", 600.0), ("onset", 900.0), ("recovery", 600.0)))
    return Playlist("P", Path("/m/p.yaml"), 8.0, phases)


def rules(**session) -> SessionMachine:
    return SessionMachine(config_from_mapping({"room": "Room 3", "session": session} if session
                                              else {"room": "Room 3"}))


def started(r: SessionMachine | None = None, now: float = 100.0) -> SessionMachine:
    r = r or rules()
    command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, now, NONE)
    return r


ARGS = {"start": {"playlist": playlist(), "session_id": "s1"}, "load": {"playlist": playlist()},
        "extend": {"minutes": 5.0}, "mark": {"text": "x"}, "volume": {"delta_db": 3.0},
        "observe": {"kind": "hr", "value": 72}, "infusion": {"event": "start"}}


def in_state(state: str) -> SessionMachine:
    r = rules()
    if state == "ready":
        command(r, "load", "web", {"playlist": playlist()}, 100.0, NONE)
    elif state in ("playing", "paused", "faulted", "ended"):
        started(r)
        if state == "paused":
            command(r, "pause", "web", {}, 110.0, NONE)
        elif state == "faulted":
            r.heard(MixerEvent("device_lost"), 110.0, NONE)
        elif state == "ended":
            command(r, "stop", "web", {}, 110.0, NONE)
    assert r.state == state
    return r


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", CONTROLS)
def test_every_control_in_every_state(state: str, action: str) -> None:
    r = in_state(state)
    allowed = next_state(state, action)
    if allowed is None:
        with pytest.raises(SessionRefused):
            command(r, action, "web", dict(ARGS.get(action, {})), 120.0, NONE)
        assert r.state == state                       # refused: nothing changed
        return
    try:
        effects = command(r, action, "web", dict(ARGS.get(action, {})), 120.0, NONE)
    except SessionRefused as exc:                     # a rule of its own (no more tracks, last phase)
        assert action in ("next", "advance", "ack", "calmer") and r.state == state, exc   # ack: no checkpoint is due
        return
    assert r.state == allowed or (action == "stop" and state == "ready" and r.state == "idle")
    assert effects[-1] == Storage("save")
    for fx in effects:
        if isinstance(fx, Record):
            check_record(fx.type, fx.source, fx.details)   # every record fits the vocabulary


def test_start_opens_the_log_first_starts_low_and_fades_in() -> None:
    effects = command(rules(), "start", "button", {"playlist": playlist(), "session_id": "s1"}, 100.0, NONE)
    kinds = [label(fx) for fx in effects if not isinstance(fx, Notify)]
    assert kinds == ["Storage:open_log", "Audio:prefetch", "Audio:begin_level", "Record:session_started",
                     "Record:state_changed", "Record:phase_started", "Audio:play", "Storage:save"]
    play = next(fx for fx in effects if isinstance(fx, AUDIO) and call(fx) == "play")
    assert kwargs(play)["fade_in_s"] == 45.0 and kwargs(play)["source"].path == Path("/m/settling-0.flac")
    begin = next(fx for fx in effects if isinstance(fx, AUDIO) and call(fx) == "begin_level")
    assert kwargs(begin) == {"target_db": None}        # default_db: a fresh session's level


def test_a_level_set_before_the_session_is_its_level_then_forgotten() -> None:
    r = rules()
    assert command(r, "volume", "web", {"level_db": -30.0}, 0.0, NONE)[0] == Volume("web", 0.0, None, -30.0)
    r.volume_set(-30.0)
    effects = command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, 100.0, NONE)
    assert Audio("begin_level", {"target_db": -30.0}) in effects
    effects = command(r, "stop", "web", {}, 200.0, NONE)
    assert r.preset_db is None and Storage("apply_pending_library") in effects


def test_phase_boundaries_land_on_the_exact_end_and_crossfade_once() -> None:
    r = started()
    effects = r.tick(100.0 + 1600.0, MixerView(current_token=1))      # two phases' time at once
    starts = [fx.at_s for fx in effects if isinstance(fx, Record) and fx.type == "phase_started"]
    assert starts == [600.0, 1500.0]
    assert sum(isinstance(fx, AUDIO) and call(fx) == "crossfade_to" for fx in effects) == 1


def test_failures_move_on_fall_back_and_then_wait() -> None:
    r = started()
    first = r.session.cursor.next_token
    for n in range(2):                                 # both tracks of settling fail
        r.heard(MixerEvent("track_failed", Source(Path(f"/m/settling-{n}.flac"), first), {"reason": "x"}), 101, NONE)
    assert r.faults == ["no playable track in phase settling"]
    effects = r.heard(MixerEvent("needs_track", None), 101.0, NONE)
    fallback = kwargs(effects[0])["source"]             # nothing heard yet: the next phase's first track
    assert fallback.path == Path("/m/onset-0.flac")
    r.heard(MixerEvent("track_started", fallback), 102.0, NONE)
    assert r.faults == ["no playable track in phase settling"]     # still: not the phase's own music
    r.heard(MixerEvent("track_started", r.session.cursor.hand(playlist().phases[0].tracks[1], 0, 1)), 103.0, NONE)
    assert r.faults == []


def test_cursor_waits_longer_after_each_round_of_failures() -> None:
    c, p = Cursor(), playlist(tracks=1)
    for at in (0.0, 1.0, 3.0):
        for _ in range(1 + len(p.phases) - 1 + len(p.phases[1].tracks) + len(p.phases[2].tracks)):
            c.failed(p.phases[0])
        c.following(p, 0)
        c.wait_before_retry(at)
    assert c.retry_at == 3.0 + 4.0 and c.retry_s == 8.0
    assert not c.retry_due(6.9) and c.retry_due(7.0) and c.failures_in_row == 0


SAVED = {"version": 2, "state": "playing", "session_id": "20260101-090000-room-3", "playlist_path": "/m/p.yaml",
         "timeline": Timeline.start(("a", "b"), (600.0, 600.0)).to_dict(), "elapsed_s": 100.0,
         "wall": T0.isoformat(), "boottime": 500.0, "boot_id": "boot-1", "track_index": 0, "position_s": 12.0,
         "master_db": -12.0, "fading_out": False}


@pytest.mark.parametrize("change,reason", [
    ({"elapsed_s": math.nan}, "not a finite number"), ({"session_id": "../../etc"}, "not a plain name"),
    ({"session_id": 7}, "not a plain name"), ({"timeline": {"names": []}}, "timeline"),
    ({"wall": "yesterday"}, "timeline or wall"), ({"track_index": -1}, "not a turn"),
    ({"position_s": math.inf}, "not a finite number"), ({"wall": "2026-01-01T09:00:00"}, "no offset"),
])
def test_a_saved_state_that_must_not_be_trusted_is_refused(change: dict, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_saved({**SAVED, **change})


def test_no_saved_session_is_none() -> None:
    assert parse_saved(None) is None and parse_saved({**SAVED, "state": "ended"}) is None


@pytest.mark.parametrize("now,expected", [
    (ClockReadings(T0 + timedelta(hours=1), 502.0, "boot-1"), Downtime(2.0, "boottime", True)),   # NTP stepped
    (ClockReadings(T0 + timedelta(seconds=42), 9.0, "boot-2"), Downtime(42.0, "wall", True)),      # a power cut
    (ClockReadings(T0 - timedelta(seconds=5), 9.0, "boot-2"), None),                              # clock behind
    (ClockReadings(T0 + timedelta(hours=5), 9.0, "boot-2"), None),                                # past the plan
])
def test_downtime_uses_the_clock_that_cannot_step(now: ClockReadings, expected: Downtime | None) -> None:
    saved = parse_saved(SAVED)
    got = downtime(saved, now, saved.timeline.projected_end_s(saved.elapsed_s))
    if expected is None:
        assert not got.plausible and got.gap_s == 0.0 and got.note
    else:
        assert got == expected


def test_an_implausible_downtime_resumes_paused_with_a_fault() -> None:
    r = rules()
    pl = Playlist("P", Path("/m/p.yaml"), 8.0, (Phase("a", 600.0, (Track(Path("/m/a.flac"), duration_s=300.0),), 8.0),
                                                Phase("b", 600.0, (Track(Path("/m/b.flac"), duration_s=300.0),), 8.0)))
    effects = r.restore(parse_saved(SAVED), pl, 5.0, Downtime(0.0, "wall", False, "the wall clock is 5 s earlier"))
    assert r.state == "paused" and any("cannot be trusted" in f for f in r.faults)
    assert not any(isinstance(fx, AUDIO) and call(fx) in ("play", "crossfade_to") for fx in effects)
    restarted = next(fx for fx in effects if isinstance(fx, Record) and fx.type == "daemon_restarted")
    assert restarted.details["policy"] == "pause" and restarted.details["note"]


def test_the_saved_state_round_trips() -> None:
    r = started()
    s = r.session
    data = to_saved(state=r.state, session_id=s.id, playlist_path=str(s.playlist.path), timeline=s.timeline,
                    elapsed_s=12.5, clocks=ClockReadings(T0, 77.0, "b"), track_index=1, position_s=3.25,
                    master_db=-14.0, fading_out=False)
    saved = parse_saved(data)
    assert (saved.session_id, saved.elapsed_s, saved.track_index, saved.clocks.boot_id) == ("s1", 12.5, 1, "b")
