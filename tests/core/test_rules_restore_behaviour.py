"""Taking up a session after a crash or power cut, by what the patient hears and staff see:
the same phase, track and place, always from silence and low; paused when the policy or a
doubtful clock says so; the plan moved on by the time the player was down."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.core.effects import Notify, Record
from player.core.media import MixerEvent
from player.core.resume import ClockReadings, Downtime, Saved
from player.core.running import MixerView
from player.core.session import SessionMachine
from player.core.timeline import Timeline
from player.playlist.model import Phase, Playlist, Track
from tests.core.effect_names import AUDIO, Audio, Storage, call, command, kwargs

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
NOW = 5000.0         # the monotonic reading at the restart


def playlist() -> Playlist:
    return Playlist("Calm", Path("/m/p.yaml"), 8.0, tuple(
        Phase(name, 600.0, tuple(Track(Path(f"/m/{name}-{n}.flac"), duration_s=300.0) for n in range(3)), 8.0)
        for name in ("a", "b", "c")))


def saved(state: str = "playing", elapsed_s: float = 100.0, track_index: int = 1, position_s: float | None = 50.0,
          timeline: Timeline | None = None, fading_out: bool = False) -> Saved:
    tl = timeline or Timeline.start(("a", "b", "c"), (600.0, 600.0, 600.0))
    if state == "paused" and tl.paused_at_s is None:
        tl = tl.pause(elapsed_s - 10.0)
    return Saved(state, "s1", "/m/p.yaml", tl, elapsed_s, ClockReadings(T0, 10.0, "b"), track_index, position_s,
                 -14.0, fading_out)


def restore(policy: str = "continue", gap_s: float = 20.0, plausible: bool = True, note: str = "",
            log_missing: bool = False, **kw: object) -> tuple[SessionMachine, list]:
    r = SessionMachine(config_from_mapping({"room": "Room 3", "session": {"resume_policy": policy},
                                          "volume": {"fade_in_s": 30}}))
    effects = r.restore(saved(**kw), playlist(), NOW, Downtime(gap_s, "boottime" if plausible else "wall", plausible,
                                                               note), log_missing=log_missing)
    return r, effects


def of(effects: list, kind: str) -> list[Record]:
    return [fx for fx in effects if isinstance(fx, Record) and fx.type == kind]


def audio(effects: list) -> list[Audio]:
    return [fx for fx in effects if isinstance(fx, AUDIO)]


def test_continue_takes_up_the_same_track_moved_on_by_the_downtime_from_silence() -> None:
    r, effects = restore()
    assert r.state == "playing" and r.faults == []
    assert effects[0] == Storage("open_log", "s1")
    assert [call(a) for a in audio(effects)] == ["prefetch", "begin_level", "play"]
    assert kwargs(audio(effects)[1]) == {"target_db": -14.0}                 # the saved level, from low
    play = kwargs(audio(effects)[2])
    assert play["fade_in_s"] == 30.0
    assert play["source"].path.stem == "a-1" and play["source"].start_s == 70.0   # 50 s in + 20 s down
    assert effects[-1] == Storage("save")
    (restarted,) = of(effects, "daemon_restarted")
    assert (restarted.source, restarted.at_s) == ("system", 120.0)
    assert restarted.details == {"gap_s": 20.0, "policy": "continue", "state_before": "playing",
                                 "gap_source": "boottime"}
    assert r.elapsed(NOW) == 120.0 and r.snapshot(NOW)["phase"] == "a"


def test_music_taken_up_after_a_restart_asks_the_mixer_for_the_short_pre_roll() -> None:
    """The patient has heard silence since the cut: `Play.after_restart`, playing on or resumed by staff."""
    _, effects = restore()
    assert kwargs(next(a for a in audio(effects) if call(a) == "play"))["after_restart"] is True
    r, _ = restore(policy="pause")
    resumed = command(r, "resume", "web", {}, NOW + 30, MixerView())
    assert kwargs(next(a for a in audio(resumed) if call(a) == "play"))["after_restart"] is True


def test_the_recorded_gap_is_rounded_to_the_millisecond() -> None:
    _, effects = restore(gap_s=20.12345)
    assert of(effects, "daemon_restarted")[0].details["gap_s"] == 20.123


def test_pause_policy_takes_up_paused_at_the_saved_place_and_waits_for_staff() -> None:
    r, effects = restore(policy="pause")
    assert r.state == "paused"
    assert [call(a) for a in audio(effects)] == ["prefetch", "begin_level"]      # nothing heard yet
    (paused,) = of(effects, "paused")
    assert (paused.at_s, paused.details) == (120.0, {"reason": "resumed after a restart; waiting for staff"})
    assert of(effects, "daemon_restarted")[0].details["policy"] == "pause"
    assert r.snapshot(NOW)["phase_remaining_s"] == 500.0          # the clock stopped at the save
    resumed = command(r, "resume", "web", {}, NOW + 30, MixerView())
    play = next(a for a in audio(resumed) if call(a) == "play")
    assert kwargs(play)["source"].path.stem == "a-1" and kwargs(play)["source"].start_s == 50.0
    assert kwargs(play)["fade_in_s"] == 30.0
    assert of(resumed, "resumed")[0].details["paused_s"] == 50.0   # from the save to staff's resume
    command(r, "pause", "web", {}, NOW + 40, MixerView())
    later = command(r, "resume", "web", {}, NOW + 50, MixerView())
    assert [call(a) for a in audio(later)] == ["resume"]             # a later resume is a plain one


def test_a_session_paused_before_the_crash_stays_paused_without_a_second_pause_record() -> None:
    r, effects = restore(state="paused")
    assert r.state == "paused" and of(effects, "paused") == []
    assert of(effects, "daemon_restarted")[0].details["state_before"] == "paused"


def test_a_faulted_session_is_taken_up_playing_from_its_place() -> None:
    r, effects = restore(state="faulted")
    assert r.state == "playing"
    assert kwargs(next(a for a in audio(effects) if call(a) == "play"))["source"].start_s == 50.0   # not moved on


def test_a_doubtful_clock_resumes_paused_with_a_fault_and_the_note() -> None:
    r, effects = restore(plausible=False, gap_s=0.0, note="the wall clock is 90 s earlier than at the last save")
    assert r.state == "paused"
    assert r.faults == ["the clock cannot be trusted across the restart: check the session, then resume"]
    details = of(effects, "daemon_restarted")[0].details
    assert details["policy"] == "pause" and details["gap_source"] == "wall"
    assert details["note"] == "the wall clock is 90 s earlier than at the last save"
    assert of(effects, "fault")[0].at_s == 100.0


def test_missing_records_are_a_fault_of_their_own() -> None:
    r, effects = restore(log_missing=True)
    assert r.faults == ["this session's records from before the restart are missing"]
    assert r.state == "playing"


def test_a_track_too_near_its_end_to_crossfade_moves_on_to_the_next() -> None:
    _, effects = restore(position_s=285.0, gap_s=0.0)            # 300 s track, 2 x 8 s crossfade: too near
    play = kwargs(next(a for a in audio(effects) if call(a) == "play"))["source"]
    assert (play.path.stem, play.start_s) == ("a-2", 0.0)
    _, effects = restore(position_s=284.0, gap_s=0.0)            # exactly at the limit: still that track
    play = kwargs(next(a for a in audio(effects) if call(a) == "play"))["source"]
    assert (play.path.stem, play.start_s) == ("a-1", 284.0)


def test_no_saved_position_starts_the_track_from_its_beginning() -> None:
    _, effects = restore(position_s=None, policy="pause")
    assert not [a for a in audio(effects) if call(a) == "play"]
    r, effects = restore(position_s=None, gap_s=0.0)
    assert kwargs(next(a for a in audio(effects) if call(a) == "play"))["source"].start_s == 0.0


def test_a_phase_that_ended_while_the_player_was_down_is_ended_on_time_and_the_next_begins() -> None:
    r, effects = restore(gap_s=700.0)                             # 100 + 700: into phase b
    assert [(x.type, x.at_s) for x in effects if isinstance(x, Record)][1:3] == [("phase_ended", 600.0),
                                                                                  ("phase_started", 600.0)]
    assert Notify("Room 3: b (phase 2/3)") in effects
    play = [a for a in audio(effects) if call(a) in ("play", "crossfade_to")]
    assert len(play) == 1 and call(play[0]) == "play"              # one start from silence, no crossfade
    assert (kwargs(play[0])["source"].path.stem, kwargs(play[0])["source"].start_s) == ("b-0", 0.0)
    assert r.snapshot(NOW)["phase"] == "b" and r.elapsed(NOW) == 800.0


def test_a_session_whose_plan_ended_while_the_player_was_down_is_completed() -> None:
    r, effects = restore(gap_s=5000.0)
    assert r.state == "ended" and r.session is None
    assert of(effects, "session_ended")[0].details == {"reason": "completed"}
    assert of(effects, "session_ended")[0].at_s == 1800.0
    assert not [a for a in audio(effects) if call(a) == "play"]


def test_a_final_fade_under_way_stays_under_way() -> None:
    r, _ = restore(fading_out=True)
    assert r.session.fading_out
    r2, _ = restore()
    assert not r2.session.fading_out


def test_the_saved_turn_is_the_cursors_and_the_next_track_follows_it() -> None:
    r, effects = restore(track_index=2, position_s=10.0, gap_s=0.0)
    assert kwargs(next(a for a in audio(effects) if call(a) == "play"))["source"].path.stem == "a-2"
    nxt = r.heard(MixerEvent("needs_track", None), NOW + 1, MixerView())
    assert kwargs(next(a for a in audio(nxt)))["source"].path.stem == "a-0"
    assert r.snapshot(NOW)["track"] == "a-2.flac"


def test_the_later_phases_planned_times_are_kept() -> None:
    r, _ = restore()
    assert [(p["planned_start_s"], p["planned_end_s"]) for p in r.snapshot(NOW)["phases"]] == [
        (0.0, 600.0), (600.0, 1200.0), (1200.0, 1800.0)]


def test_a_playlist_whose_phases_changed_is_not_taken_up() -> None:
    r = SessionMachine(config_from_mapping({"room": "Room 3"}))
    other = Playlist("Calm", Path("/m/p.yaml"), 8.0, playlist().phases[:2])
    with pytest.raises(ValueError, match="^the playlist's phases changed since the session started$"):
        r.restore(saved(), other, NOW, Downtime(1.0, "boottime", True))
    assert r.session is None and r.state == "idle"
