"""The session rules, by what staff and the patient would notice: what each control, tick and mixer
event makes the engine do (the music handed to the mixer, its fades, the records written, the
faults shown), scenario by scenario on the pure `SessionMachine`.

tests/core/test_rules.py walks every state x control; this file checks the outcome of each
rule: which track, which fade, which record with which details, what is saved and when.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.core.effects import Effect, Notify, Record
from player.core.media import MixerEvent, Source
from player.core.running import EMERGENCY_FADE_S, PAUSE_FADE_S, STOP_FADE_S, MixerView, track_name
from player.core.session import SessionMachine
from player.errors import SessionRefused
from player.playlist.model import Phase, Playlist, Track
from tests.core.effect_names import (
    AUDIO,
    STORAGE,
    Audio,
    Storage,
    Volume,
    call,
    command,
    kwargs,
)

NONE = MixerView()
T = 100.0          # the monotonic reading when the session starts (session time 0)


def phase(name: str, length: float, tracks: int = 2, **kw: object) -> Phase:
    return Phase(name, length, tuple(Track(Path(f"/m/{name}-{n}.flac"), gain_db=-1.0, duration_s=300.0)
                                     for n in range(tracks)), 8.0, **kw)


def playlist(*phases: Phase) -> Playlist:
    phases = phases or (phase("settling", 600.0), phase("onset", 900.0), phase("recovery", 600.0))
    return Playlist("Calm", Path("/m/p.yaml"), 8.0, phases)


def rules(**config: object) -> SessionMachine:
    return SessionMachine(config_from_mapping({"room": "Room 3", **config}))


def start(r: SessionMachine | None = None, pl: Playlist | None = None, source: str = "web") -> SessionMachine:
    r = r or rules()
    command(r, "start", source, {"playlist": pl or playlist(), "session_id": "s1"}, T, NONE)
    return r


def at(seconds: float) -> float:
    """The monotonic reading `seconds` into the session."""
    return T + seconds


def records(effects: list[Effect], kind: str | None = None) -> list[Record]:
    return [fx for fx in effects if isinstance(fx, Record) and (kind is None or fx.type == kind)]


def record(effects: list[Effect], kind: str) -> Record:
    found = records(effects, kind)
    assert len(found) == 1, (kind, effects)
    return found[0]


def calls(effects: list[Effect], *names: str) -> list[Audio]:
    return [fx for fx in effects if isinstance(fx, AUDIO) and (not names or call(fx) in names)]


def stems(effects: list[Effect]) -> list[str | None]:
    """What each play/crossfade/queue call hands the mixer (a file's stem, None for silence)."""
    out = []
    for fx in calls(effects, "play", "crossfade_to", "queue_next"):
        source = kwargs(fx)["source"]
        out.append(None if source is None else source.path.stem)
    return out


def handed(effects: list[Effect]) -> Source:
    (fx,) = calls(effects, "play", "crossfade_to", "queue_next")
    return kwargs(fx)["source"]


def started_event(r: SessionMachine, source: Source, seconds: float) -> list[Effect]:
    return r.heard(MixerEvent("track_started", source), at(seconds), MixerView(current_token=source.token))


# --- a session begins --------------------------------------------------------------------

def test_start_records_the_plan_the_room_and_the_levels_in_force() -> None:
    r = rules(volume={"max_db": -10, "default_db": -12, "start_db": -25}, session={"resume_policy": "pause"})
    effects = command(r, "start", "button", {"playlist": playlist(), "session_id": "s1"}, T, NONE)
    started = record(effects, "session_started")
    assert started.source == "button" and started.at_s == 0.0
    assert started.details == {
        "playlist": "Calm", "playlist_path": "/m/p.yaml", "room": "Room 3", "max_db": -10.0, "start_db": -25.0,
        "default_db": -12.0,
        "resume_policy": "pause",
        "phases": [{"name": "settling", "planned_start_s": 0.0, "planned_end_s": 600.0},
                   {"name": "onset", "planned_start_s": 600.0, "planned_end_s": 1500.0},
                   {"name": "recovery", "planned_start_s": 1500.0, "planned_end_s": 2100.0}]}
    assert record(effects, "state_changed").details == {"from": "idle", "to": "playing"}
    assert record(effects, "phase_started").details == {"phase": "settling", "index": 0, "planned_start_s": 0.0,
                                                         "planned_end_s": 600.0}
    assert Notify("Room 3: settling (phase 1/3)") in effects
    assert Storage("open_log", "s1") in effects
    assert r.state == "playing" and r.snapshot(at(0))["session_id"] == "s1"


def test_a_new_session_plays_its_first_track_from_the_start_with_the_full_pre_roll() -> None:
    effects = command(rules(), "start", "web", {"playlist": playlist(), "session_id": "s1"}, T, NONE)
    (play,) = calls(effects, "play")
    assert kwargs(play)["source"].start_s == 0.0 and kwargs(play)["after_restart"] is False


def test_unmeasured_tracks_plan_the_phases_by_the_clock() -> None:
    """A playlist loaded without probing has no track lengths: the plan is the phase clock's, not a crash."""
    unmeasured = Phase("settling", 600.0, (Track(Path("/m/a.flac")),), 8.0)
    effects = command(rules(), "start", "web", {"playlist": playlist(unmeasured, phase("onset", 300.0)),
                                                "session_id": "s1"}, T, NONE)
    assert record(effects, "session_started").details["phases"] == [
        {"name": "settling", "planned_start_s": 0.0, "planned_end_s": 600.0},
        {"name": "onset", "planned_start_s": 600.0, "planned_end_s": 900.0}]


def test_a_preset_level_is_recorded_held_under_the_cap() -> None:
    r = rules(volume={"max_db": -10})
    r.volume_set(-3.0)
    effects = command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, T, NONE)
    assert record(effects, "session_started").details["default_db"] == -10.0


def test_the_level_staff_set_before_the_session_is_its_recorded_level() -> None:
    r = rules()
    r.volume_set(-15.0)
    effects = command(r, "start", "web", {"playlist": playlist(), "session_id": "s1"}, T, NONE)
    assert record(effects, "session_started").details["default_db"] == -15.0
    assert Audio("begin_level", {"target_db": -15.0}) in effects
    r.volume_set(-3.0)                                         # during a session: not a preset
    assert r.preset_db == -15.0


def test_start_prefetches_every_track_in_play_order() -> None:
    effects = command(rules(), "start", "web", {"playlist": playlist(), "session_id": "s1"}, T, NONE)
    (prefetch,) = calls(effects, "prefetch")
    assert [s.path.stem for s in kwargs(prefetch)["sources"]] == [
        "settling-0", "settling-1", "onset-0", "onset-1", "recovery-0", "recovery-1"]


def test_the_first_track_fades_in_over_the_phases_own_fade_else_the_configured_one() -> None:
    own = command(rules(), "start", "web", {"playlist": playlist(phase("a", 600.0, fade_in_s=12.0), phase("b", 60.0)),
                                           "session_id": "s1"}, T, NONE)
    (play,) = calls(own, "play")
    assert kwargs(play)["fade_in_s"] == 12.0 and kwargs(play)["source"].path.stem == "a-0"
    assert kwargs(play)["source"].trim_db == -1.0 and kwargs(play)["source"].duration_s == 300.0
    configured = command(rules(volume={"fade_in_s": 30}), "start", "web", {"playlist": playlist(), "session_id": "s1"},
                                                         T, NONE)
    assert kwargs(calls(configured, "play")[0])["fade_in_s"] == 30.0


def test_start_uses_the_loaded_playlist_and_refuses_without_one() -> None:
    r = rules()
    with pytest.raises(SessionRefused, match="no playlist given"):
        command(r, "start", "web", {"session_id": "s1"}, T, NONE)
    assert r.state == "idle" and r.session is None
    with pytest.raises(SessionRefused, match="no playlist given"):
        command(r, "load", "web", {}, T, NONE)
    effects = command(r, "load", "web", {"playlist": playlist()}, T, NONE)
    assert r.state == "ready" and r.snapshot(T)["playlist"] == "Calm"
    assert len(kwargs(calls(effects, "prefetch")[0])["sources"]) == 6
    command(r, "start", "web", {"session_id": "s1"}, T, NONE)
    assert r.session.playlist.name == "Calm" and r.ready is None


def test_a_new_session_forgets_old_faults_but_not_a_lost_device() -> None:
    r = rules()
    r.add_fault("disk full")
    r.heard(MixerEvent("device_lost"), T, NONE)
    start(r)
    assert r.faults == ["audio device lost: default"]


# --- faults ------------------------------------------------------------------------------------

def test_a_fault_is_shown_and_recorded_once_and_cleared_once() -> None:
    r = start()
    r.add_fault("boom", 5.0)
    r.add_fault("boom", 6.0)
    assert r.faults == ["boom"]
    assert [(x.type, x.at_s, x.details) for x in r.take_effects()] == [("fault", 5.0, {"message": "boom"})]
    r.clear_fault("other", 7.0)
    r.clear_fault("boom", 8.0)
    r.clear_fault("boom", 9.0)
    assert r.faults == [] and [(x.type, x.at_s) for x in r.take_effects()] == [("fault_cleared", 8.0)]
    assert r.take_effects() == []


def test_a_lost_device_faults_the_session_and_its_return_resumes_it() -> None:
    r = start(rules(audio={"device": "hw:1"}))
    lost = r.heard(MixerEvent("device_lost"), at(30), NONE)
    assert r.state == "faulted" and r.faults == ["audio device lost: hw:1"]
    assert [(x.type, x.details) for x in records(lost)] == [
        ("state_changed", {"from": "playing", "to": "faulted"}), ("fault", {"message": "audio device lost: hw:1"})]
    assert all(x.at_s == 30.0 for x in records(lost))
    back = r.heard(MixerEvent("device_restored"), at(40), NONE)
    assert r.state == "playing" and r.faults == []
    assert [x.type for x in records(back)] == ["state_changed", "fault_cleared"]


def test_outside_a_session_a_lost_device_is_a_fault_but_no_state_change() -> None:
    r = rules()
    effects = r.heard(MixerEvent("device_lost"), T, NONE)
    assert r.state == "idle" and [x.type for x in records(effects)] == ["fault"]
    effects = r.heard(MixerEvent("device_restored"), T, NONE)
    assert r.state == "idle" and r.faults == [] and [x.type for x in records(effects)] == ["fault_cleared"]


def test_a_paused_session_stays_paused_when_the_device_goes() -> None:
    r = start()
    command(r, "pause", "web", {}, at(10), NONE)
    r.heard(MixerEvent("device_lost"), at(20), NONE)
    assert r.state == "paused" and r.faults


# --- pause, resume, stop -----------------------------------------------------------------------

def test_pause_fades_out_and_resume_fades_back_recording_how_long_it_lasted() -> None:
    r = start()
    paused = command(r, "pause", "cli", {}, at(60), NONE)
    assert calls(paused, "pause") == [Audio("pause", {"fade_s": PAUSE_FADE_S})]
    assert (record(paused, "paused").source, record(paused, "paused").at_s, record(paused, "paused").details) == \
        ("cli", 60.0, {})
    assert r.state == "paused"
    resumed = command(r, "resume", "web", {}, at(150.1234), NONE)
    assert calls(resumed, "resume") == [Audio("resume", {"fade_s": PAUSE_FADE_S})]
    rec = record(resumed, "resumed")
    assert rec.source == "web" and rec.details == {"paused_s": 90.123, "planned_end_s": 690.1234}
    assert record(resumed, "state_changed").details == {"from": "paused", "to": "playing"}
    assert resumed[-1] == Storage("save")


@pytest.mark.parametrize("action,call,fade,reason", [("stop", "stop", STOP_FADE_S, "stopped"),
                                                     ("emergency_stop", "emergency_stop", EMERGENCY_FADE_S,
                                                      "emergency_stop")])
def test_stopping_fades_out_records_the_end_and_closes_the_session(action: str, call: str, fade: float,
                                                                   reason: str) -> None:
    r = start()
    r.volume_set(-9.0)
    effects = command(r, action, "button", {}, at(42), NONE)
    assert calls(effects) == [Audio(call, {"fade_s": fade})]
    ended = record(effects, "session_ended")
    assert (ended.source, ended.at_s, ended.details) == ("button", 42.0, {"reason": reason})
    assert record(effects, "state_changed").details == {"from": "playing", "to": "ended"}
    tail = [fx for fx in effects if isinstance(fx, (*STORAGE, Notify))]
    assert tail == [Storage("exposure"), Storage("apply_pending_library"), Storage("close_log", "s1"),
                    Storage("clear"), Notify(f"Room 3: session ended ({reason})"), Storage("save")]
    assert r.state == "ended" and r.session is None and r.preset_db is None


def test_stopping_a_loaded_playlist_forgets_it_quietly() -> None:
    r = rules()
    command(r, "load", "web", {"playlist": playlist()}, T, NONE)
    assert command(r, "stop", "web", {}, T, NONE) == [Storage("save")]
    assert r.state == "idle" and r.ready is None


def test_mark_and_volume_and_library_are_recorded_as_the_staffs() -> None:
    r = start()
    marked = record(command(r, "mark", "usb", {"text": "BP 128/82"}, at(12.5), NONE), "marked")
    assert (marked.source, marked.at_s, marked.details) == ("usb", 12.5, {"text": "BP 128/82"})
    assert command(r, "volume", "button", {"delta_db": -3.0}, at(13), NONE)[0] == Volume("button", 13.0, -3.0, None)
    assert command(rules(), "apply_library", "web", {}, T, NONE) == [Storage("apply_pending_library"), Storage("save")]


# --- skipping, advancing, extending ----------------------------------------------------------

def test_next_skips_to_the_following_track_recording_the_skipped_one() -> None:
    r = start()
    effects = command(r, "next", "button", {}, at(20), NONE)
    skipped = record(effects, "track_skipped")
    assert (skipped.source, skipped.at_s, skipped.details) == (
        "button", 20.0, {"file": "settling-0.flac", "reason": "staff: next track"})
    (fade,) = calls(effects, "crossfade_to")
    assert kwargs(fade)["source"].path.stem == "settling-1" and kwargs(fade)["crossfade_s"] == 8.0
    assert r.snapshot(at(21))["track"] == "settling-1.flac"


def test_next_on_the_last_track_of_a_silent_phase_is_refused_and_changes_nothing() -> None:
    r = start(pl=playlist(phase("a", 600.0, tracks=1, on_short="silence"), phase("b", 60.0)))
    with pytest.raises(SessionRefused, match=r"no more tracks in phase a \(its playlist says on_short: silence\)"):
        command(r, "next", "web", {}, at(5), NONE)
    assert r.snapshot(at(5))["track"] == "a-0.flac"


def test_advance_ends_the_phase_now_and_crossfades_into_the_next() -> None:
    r = start()
    effects = command(r, "advance", "web", {}, at(100), NONE)
    assert record(effects, "phase_advanced").details == {"from": "settling", "to": "onset"}
    assert record(effects, "phase_ended").details == {"phase": "settling", "index": 0}
    assert record(effects, "phase_started").details == {"phase": "onset", "index": 1, "planned_start_s": 100.0,
                                                         "planned_end_s": 1000.0}
    assert Notify("Room 3: onset (phase 2/3)") in effects
    assert stems(effects) == ["onset-0"] and kwargs(calls(effects, "crossfade_to")[0])["crossfade_s"] == 8.0


def test_advance_in_the_last_phase_is_refused() -> None:
    r = start()
    command(r, "advance", "web", {}, at(10), NONE)
    command(r, "advance", "web", {}, at(20), NONE)
    with pytest.raises(SessionRefused, match=r"already in the last phase \(recovery\); use stop"):
        command(r, "advance", "web", {}, at(30), NONE)


def test_extend_moves_the_phase_end_and_records_the_new_end() -> None:
    r = start()
    effects = command(r, "extend", "cli", {"minutes": 2.5}, at(100), NONE)
    ext = record(effects, "phase_extended")
    assert (ext.source, ext.details) == ("cli", {"phase": "settling", "minutes": 2.5, "planned_end_s": 750.0})
    assert calls(effects) == []
    assert r.tick(at(749), MixerView(current_token=1)) == [] and r.snapshot(at(749))["phase"] == "settling"
    assert record(r.tick(at(750), MixerView(current_token=1)), "phase_started").details["phase"] == "onset"


def test_extending_during_the_final_fade_brings_the_music_back() -> None:
    pl = playlist(phase("a", 60.0), phase("b", 600.0, fade_out_s=30.0))
    r = start(pl=pl)
    r.tick(at(60), MixerView(current_token=1))
    fading = r.tick(at(630), MixerView(current_token=2))
    assert calls(fading) == [Audio("stop", {"fade_s": 30.0})]
    effects = command(r, "extend", "web", {"minutes": 5.0}, at(640), NONE)
    (back,) = calls(effects, "play")
    assert kwargs(back)["fade_in_s"] == 8.0 and kwargs(back)["source"].path.stem == "b-0"
    assert record(effects, "phase_extended").details["planned_end_s"] == 960.0
    # and the final fade comes again before the new end
    assert calls(r.tick(at(929), NONE)) == []
    assert calls(r.tick(at(930), NONE)) == [Audio("stop", {"fade_s": 30.0})]


def test_extending_a_paused_session_during_the_final_fade_plays_nothing_yet() -> None:
    r = start(pl=playlist(phase("a", 60.0), phase("b", 600.0, fade_out_s=30.0)))
    r.tick(at(60), NONE)
    r.tick(at(640), NONE)
    command(r, "pause", "web", {}, at(645), NONE)
    effects = command(r, "extend", "web", {"minutes": 1.0}, at(646), NONE)
    assert calls(effects) == []
    command(r, "resume", "web", {}, at(650), NONE)
    assert not r.session.fading_out


def test_the_final_fade_without_a_crossfade_comes_back_over_the_pause_fade() -> None:
    pl = playlist(phase("a", 60.0), Phase("b", 600.0, (Track(Path("/m/b-0.flac"), duration_s=300.0),), 0.0,
                                          fade_out_s=30.0))
    r = start(pl=pl)
    r.tick(at(60), NONE)
    r.tick(at(640), NONE)
    (back,) = calls(command(r, "extend", "web", {"minutes": 1.0}, at(641), NONE), "play")
    assert kwargs(back)["fade_in_s"] == PAUSE_FADE_S


# --- the clock: phase ends, the final fade, the session's end -----------------------------------

def test_a_phase_ends_exactly_on_time_and_the_next_phase_crossfades_in() -> None:
    r = start()
    assert r.tick(at(599.99), MixerView(current_token=1)) == []
    effects = r.tick(at(600.3), MixerView(current_token=1))
    assert [(x.type, x.at_s) for x in records(effects)] == [("phase_ended", 600.0), ("phase_started", 600.0)]
    assert stems(effects) == ["onset-0"]
    assert kwargs(calls(effects, "crossfade_to")[0])["crossfade_s"] == 8.0   # the ending phase's crossfade


def test_the_last_phase_fades_out_over_its_fade_out_and_completes_on_time() -> None:
    r = start(pl=playlist(phase("a", 60.0), phase("b", 600.0, fade_out_s=20.0)))
    r.tick(at(60), MixerView(current_token=1))
    assert r.next_due_s(at(100)) == pytest.approx(540.0)          # to the start of the final fade
    assert calls(r.tick(at(639.9), NONE)) == []
    assert calls(r.tick(at(645), NONE)) == [Audio("stop", {"fade_s": 15.0})]   # the fade's rest
    assert calls(r.tick(at(646), NONE)) == []                                   # once
    assert r.next_due_s(at(646)) == pytest.approx(14.0)
    done = r.tick(at(660.5), NONE)
    assert [(x.type, x.at_s) for x in records(done)][:2] == [("phase_ended", 660.0), ("session_ended", 660.0)]
    assert record(done, "session_ended").details == {"reason": "completed"} and record(done, "session_ended").source \
        == "system"
    assert calls(done) == []                         # already faded: no second stop
    assert r.state == "ended"


def test_a_final_fade_noticed_late_is_never_shorter_than_a_tenth_of_a_second() -> None:
    r = start(pl=playlist(phase("a", 600.0, fade_out_s=20.0)))
    assert calls(r.tick(at(599.99), NONE)) == [Audio("stop", {"fade_s": 0.1})]


def test_a_last_phase_without_a_fade_out_stops_at_its_end_over_the_stop_fade() -> None:
    r = start(pl=playlist(phase("a", 600.0)))
    assert r.next_due_s(at(100)) == 500.0
    done = r.tick(at(600), NONE)
    assert calls(done) == [Audio("stop", {"fade_s": STOP_FADE_S})] and r.state == "ended"


def test_nothing_is_due_outside_a_running_session() -> None:
    r = rules()
    assert r.next_due_s(T) is None and r.tick(T, NONE) == []
    r = start()
    command(r, "pause", "web", {}, at(10), NONE)
    assert r.next_due_s(at(10)) is None and r.tick(at(5000), NONE) == []


def test_the_next_due_time_is_never_negative() -> None:
    r = start()
    assert r.next_due_s(at(700)) == 0.0


def test_a_faulted_session_keeps_its_clock() -> None:
    r = start()
    r.heard(MixerEvent("device_lost"), at(10), NONE)
    assert r.next_due_s(at(100)) == 500.0
    effects = r.tick(at(600), NONE)
    assert [x.type for x in records(effects)] == ["phase_ended", "phase_started"]
    assert stems(effects) == []                      # no music while faulted


# --- the mixer's events ---------------------------------------------------------------------------

def test_each_track_heard_is_recorded_by_name_within_the_playlists_folder() -> None:
    r = start()
    first = handed(command(r, "next", "web", {}, at(1), NONE))
    effects = started_event(r, first, 2.0)
    rec = record(effects, "track_started")
    assert (rec.source, rec.at_s, rec.details) == ("system", 2.0, {"phase": "settling", "file": "settling-1.flac"})
    assert effects[-1] == Storage("save")            # a restart takes up this track


def test_a_track_in_a_subfolder_is_recorded_by_its_path_within_the_playlists_folder() -> None:
    sub = Phase("settling", 600.0, tuple(Track(Path(f"/m/sub/{n}.flac"), duration_s=300.0) for n in "ab"), 8.0)
    r = start(pl=playlist(sub))
    first = handed(command(r, "next", "web", {}, at(1), NONE))
    assert record(started_event(r, first, 2.0), "track_started").details["file"] == "sub/b.flac"


def test_a_file_outside_the_playlists_folder_is_recorded_by_its_name() -> None:
    r = start()
    assert track_name(Path("/elsewhere/deep/x.flac"), r.session.playlist) == "x.flac"
    assert track_name(Path("/m/sub/y.flac"), r.session.playlist) == "sub/y.flac"
    assert track_name(Path("/m/sub/y.flac"), rules().session) == "y.flac"


def test_a_track_that_ends_is_recorded() -> None:
    r = start()
    source = Source(Path("/m/settling-0.flac"), 1)
    rec = record(r.heard(MixerEvent("track_ended", source), at(300), NONE), "track_ended")
    assert (rec.at_s, rec.details) == (300.0, {"file": "settling-0.flac"})
    assert r.heard(MixerEvent("track_ended", None), at(300), NONE) == []


def test_a_track_that_fails_is_recorded_as_skipped_with_the_reason() -> None:
    r = start()
    source = Source(Path("/m/settling-0.flac"), 1)
    rec = record(r.heard(MixerEvent("track_failed", source, {"reason": "cannot decode"}), at(3), NONE),
                 "track_skipped")
    assert (rec.source, rec.at_s, rec.details) == ("system", 3.0, {"file": "settling-0.flac",
                                                                   "reason": "cannot decode"})
    rec = record(r.heard(MixerEvent("track_failed", source), at(4), NONE), "track_skipped")
    assert rec.details["reason"] == "could not be played"
    assert r.faults == ["no playable track in phase settling"]        # both tracks failed in a row
    assert r.heard(MixerEvent("track_failed", None), at(5), NONE) == []


def test_mixer_events_outside_a_session_change_nothing() -> None:
    r = rules()
    source = Source(Path("/m/a.flac"), 1)
    for kind in ("track_started", "track_ended", "track_failed", "needs_track", "fade_finished"):
        assert r.heard(MixerEvent(kind, source), T, NONE) == []


def test_the_mixer_asking_for_a_track_gets_the_following_one_queued_or_at_once() -> None:
    r = start()
    queued = r.heard(MixerEvent("needs_track", None), at(200), MixerView(current_token=1))
    assert call(calls(queued)[0]) == "queue_next" and stems(queued) == ["settling-1"]
    assert kwargs(calls(queued)[0])["crossfade_s"] == 8.0
    now = r.heard(MixerEvent("needs_track", None, {"now": True}), at(201), NONE)
    assert call(calls(now)[0]) == "crossfade_to" and stems(now) == ["settling-0"]      # looping


def test_a_silent_phase_out_of_tracks_queues_silence() -> None:
    r = start(pl=playlist(phase("a", 600.0, tracks=1, on_short="silence"), phase("b", 60.0)))
    effects = r.heard(MixerEvent("needs_track", None), at(200), NONE)
    assert calls(effects) == [Audio("queue_next", {"source": None, "crossfade_s": 8.0})]


def test_during_the_final_fade_the_mixer_gets_silence_to_follow() -> None:
    r = start(pl=playlist(phase("a", 600.0, fade_out_s=30.0)))
    r.tick(at(580), NONE)
    effects = r.heard(MixerEvent("needs_track", None), at(585), NONE)
    assert calls(effects) == [Audio("queue_next", {"source": None, "crossfade_s": 8.0})]


# --- failures: move on, fall back, wait and retry ---------------------------------------------------

def test_when_every_track_and_fallback_failed_the_rules_wait_and_then_try_the_phase_again() -> None:
    pl = playlist(phase("a", 600.0, tracks=1), phase("b", 600.0, tracks=1))
    r = start(pl=pl)
    a0 = Source(Path("/m/a-0.flac"), 1)
    r.heard(MixerEvent("track_failed", a0), at(1), NONE)
    fallback = handed(r.heard(MixerEvent("needs_track", None), at(1), NONE))
    assert fallback.path.stem == "b-0"                 # the next phase's music, so there is no silence
    r.heard(MixerEvent("track_failed", fallback), at(2), NONE)
    assert r.heard(MixerEvent("needs_track", None), at(2), NONE) == []   # nothing left: wait
    assert r.next_due_s(at(2)) == pytest.approx(1.0)
    assert r.tick(at(2.5), NONE) == []
    retry = r.tick(at(3), NONE)
    assert call(calls(retry)[0]) == "crossfade_to" and stems(retry) == ["a-0"]


def test_the_phases_own_music_heard_again_clears_its_fault_but_a_fallback_does_not() -> None:
    pl = playlist(phase("a", 600.0, tracks=1), phase("b", 600.0, tracks=1))
    r = start(pl=pl)
    r.heard(MixerEvent("track_failed", Source(Path("/m/a-0.flac"), 1)), at(1), NONE)
    fallback = handed(r.heard(MixerEvent("needs_track", None), at(1), NONE))
    effects = started_event(r, fallback, 2.0)
    assert record(effects, "track_started").details == {"phase": "a", "file": "b-0.flac", "fallback": True}
    assert r.faults == ["no playable track in phase a"] and records(effects, "fault_cleared") == []
    own = r.session.cursor.hand(pl.phases[0].tracks[0], 0, 0)
    effects = started_event(r, own, 3.0)
    assert r.faults == [] and record(effects, "fault_cleared").details == {"message": "no playable track in phase a"}
    assert "fallback" not in record(effects, "track_started").details


# --- finish_track: the last track of a phase plays out ---------------------------------------------

def finishing() -> tuple[SessionMachine, list[Effect]]:
    pl = playlist(phase("a", 600.0, finish_track=True), phase("b", 600.0))
    r = start(pl=pl)
    return r, r.tick(at(600), MixerView(current_token=1))


def test_a_finish_track_phase_lets_its_track_play_out_and_queues_the_next_phases_music() -> None:
    r, effects = finishing()
    assert records(effects) == []                      # the phase is not over yet
    assert calls(effects) == [Audio("queue_next", {"source": kwargs(calls(effects)[0])["source"], "crossfade_s": 8.0})]
    assert stems(effects) == ["b-0"]
    assert r.tick(at(601), MixerView(current_token=1)) == []        # queued once
    asked = r.heard(MixerEvent("needs_track", None), at(602), MixerView(current_token=1))
    assert stems(asked) == ["b-0"]                     # asked again: the next phase's music again


def test_the_next_phase_begins_when_its_music_takes_over() -> None:
    r, effects = finishing()
    nxt = handed(effects)
    taken = started_event(r, nxt, 650.0)
    assert [(x.type, x.at_s) for x in records(taken)][:2] == [("phase_ended", 650.0), ("phase_started", 650.0)]
    assert record(taken, "track_started").details == {"phase": "b", "file": "b-0.flac"}
    assert stems(taken) == []                          # its music is already playing
    assert r.snapshot(at(651))["phase"] == "b"


def test_a_finished_track_ending_with_nothing_after_it_starts_the_next_phase() -> None:
    r, _ = finishing()
    ended = r.heard(MixerEvent("track_ended", Source(Path("/m/a-0.flac"), 1)), at(640), NONE)
    assert [x.type for x in records(ended)] == ["track_ended", "phase_ended", "phase_started"]
    assert stems(ended) == ["b-0"] and calls(ended, "crossfade_to")


def test_a_finished_track_ending_while_paused_starts_the_next_phase_silently() -> None:
    r, _ = finishing()
    command(r, "pause", "web", {}, at(610), NONE)
    ended = r.heard(MixerEvent("track_ended", Source(Path("/m/a-0.flac"), 1)), at(640), NONE)
    assert [x.type for x in records(ended)] == ["track_ended", "phase_ended", "phase_started"]
    assert stems(ended) == []


def test_extending_a_phase_that_was_letting_its_track_play_out_goes_on_with_its_own_music() -> None:
    r, _ = finishing()
    effects = command(r, "extend", "web", {"minutes": 5.0}, at(610), NONE)
    assert call(calls(effects)[0]) == "queue_next" and stems(effects) == ["a-1"]
    assert r.heard(MixerEvent("track_ended", Source(Path("/m/a-0.flac"), 1)), at(640), MixerView())[1:] == []


def test_a_finish_track_phase_with_nothing_playing_ends_on_time() -> None:
    pl = playlist(phase("a", 600.0, finish_track=True), phase("b", 600.0))
    r = start(pl=pl)
    effects = r.tick(at(600), NONE)
    assert [x.type for x in records(effects)] == ["phase_ended", "phase_started"] and stems(effects) == ["b-0"]


def test_while_finishing_the_mixer_asking_for_a_track_gets_the_next_phases_first() -> None:
    pl = playlist(phase("a", 600.0, finish_track=True), phase("b", 600.0, on_short="silence"))
    r = start(pl=pl)
    r.tick(at(600), MixerView(current_token=1))
    asked = r.heard(MixerEvent("needs_track", None), at(601), MixerView(current_token=1))
    assert stems(asked) == ["b-0"]


# --- what staff see ----------------------------------------------------------------------------------

def test_the_status_before_any_session() -> None:
    snap = rules().snapshot(T)
    assert snap == {"state": "idle", "room": "Room 3", "max_db": -6.0, "faults": [], "phases": [], "elapsed_s": 0.0,
                    "phase": None, "phase_index": None, "session_id": None, "playlist": None,
                    "phase_elapsed_s": None, "phase_remaining_s": None, "remaining_s": None, "track": None,
                    "checkpoints": [], "calmer": None, "calmer_available": False,
                    "infusion": {"state": "not_started", "started_s": None, "ended_s": None, "until": None}}


def test_the_status_of_a_running_session() -> None:
    r = start()
    command(r, "advance", "web", {}, at(100), NONE)
    snap = r.snapshot(at(130.12345))
    assert (snap["state"], snap["session_id"], snap["playlist"], snap["phase"], snap["phase_index"]) == \
        ("playing", "s1", "Calm", "onset", 1)
    assert (snap["elapsed_s"], snap["phase_elapsed_s"], snap["phase_remaining_s"], snap["remaining_s"]) == \
        (130.123, 30.123, 869.877, 1469.877)
    assert snap["track"] == "onset-0.flac"
    assert snap["phases"][0] == {"name": "settling", "planned_start_s": 0.0, "planned_end_s": 600.0,
                                 "actual_start_s": 0.0, "actual_end_s": 100.0, "expected_start_s": 0.0,
                                 "expected_end_s": 100.0}
    assert snap["phases"][2]["expected_start_s"] == 1000.0


def test_while_paused_the_remaining_time_stands_still() -> None:
    r = start()
    command(r, "pause", "web", {}, at(100), NONE)
    first, later = r.snapshot(at(110)), r.snapshot(at(170))
    assert first["phase_remaining_s"] == later["phase_remaining_s"] == 500.0
    assert first["remaining_s"] == later["remaining_s"] == 2000.0
    assert later["phases"][1]["expected_start_s"] == 670.0           # the plan moves on with the pause


def test_the_phases_shown_follow_the_timeline_and_are_copies() -> None:
    r = start()
    snap = r.snapshot(at(10))
    snap["phases"][0]["name"] = "changed"
    assert r.snapshot(at(11))["phases"][0]["name"] == "settling"
    command(r, "extend", "web", {"minutes": 1.0}, at(12), NONE)
    assert r.snapshot(at(13))["phases"][0]["expected_end_s"] == 660.0


def test_a_silent_phase_past_its_tracks_shows_no_track() -> None:
    r = start(pl=playlist(phase("a", 600.0, tracks=1, on_short="silence"), phase("b", 60.0)))
    r.session.cursor.track_index = 1
    assert r.snapshot(at(400))["track"] is None


def test_a_loaded_playlist_is_shown_before_it_starts() -> None:
    r = rules()
    command(r, "load", "web", {"playlist": playlist()}, T, NONE)
    snap = r.snapshot(T)
    assert snap["state"] == "ready" and snap["playlist"] == "Calm" and snap["session_id"] is None
