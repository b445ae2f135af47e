"""The session engine on a fake clock: phases, controls, records, refusals, restart."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from player.clock import FakeClock
from player.config import config_from_mapping
from player.engine.eventlog import read_events
from player.engine.loop import SessionEngine
from player.errors import PlaylistInvalid, SessionRefused
from player.playlist.model import Diagnostic, Phase, Playlist, Track
from tests.support.spy_mixer import SpyMixer

PHASES = (("settling", 600.0), ("onset", 900.0), ("peak", 2400.0), ("comedown", 1800.0), ("recovery", 8700.0))


def make_playlist(root: Path, phases=PHASES, tracks_per_phase: int = 2, on_short: str = "loop",
                  fade_out_s: float | None = 90.0, finish_track: bool = False) -> Playlist:
    built = []
    for i, (name, dur) in enumerate(phases):
        tracks = tuple(Track(root / f"{name}-{n}.flac", duration_s=300.0) for n in range(tracks_per_phase))
        built.append(Phase(name, dur, tracks, crossfade_s=8.0, fade_in_s=45.0 if i == 0 else None,
                           fade_out_s=fade_out_s if i == len(phases) - 1 else None, on_short=on_short,
                           finish_track=finish_track))
    return Playlist("Four hours", root / "four-hours.yaml", 8.0, tuple(built))


class Rig:
    """An engine on a FakeClock with the real Mixer on FakeOutput (spied); playlists resolved by name."""

    def __init__(self, tmp_path: Path, *, policy: str = "continue", clock: FakeClock | None = None, **kw) -> None:
        self.data_dir = tmp_path / "data"
        self.config = config_from_mapping({"data_dir": str(self.data_dir), "room": "Room 3",
                                           "session": {"resume_policy": policy}})
        self.clock = clock or FakeClock()
        playlist = make_playlist(tmp_path, **kw)
        media = [(t.path, t.duration_s) for phase in playlist.phases for t in phase.tracks]
        self.mixer = SpyMixer(self.config, self.clock, media)
        self.playlists = {"four": playlist, playlist.path.name: playlist}
        self.engine = SessionEngine(self.config, self.mixer, self.clock, load_playlist=self._load)

    def _load(self, path: Path) -> Playlist:
        if path.name not in self.playlists:
            raise PlaylistInvalid("bad", [Diagnostic(str(path), 3, "error", "unknown key 'phasse'")])
        return self.playlists[path.name]

    def advance(self, seconds: float, step_s: float = 0.5) -> None:
        """Move the clock in steps the engine ticks through (as the real loop would)."""
        while seconds > 1e-9:
            dt = min(step_s, seconds)
            self.clock.advance(dt)
            seconds -= dt
            assert self.engine.sync()

    def events(self) -> list[dict]:
        sid = self.engine.status()["session_id"] or self.last_sid
        return read_events(self.data_dir / "sessions" / sid / "events.jsonl")

    def start(self) -> dict:
        status = self.engine.submit("start", source="cli", playlist="four")
        self.last_sid = status["session_id"]
        return status


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path)
    r.engine.start()
    yield r
    r.engine.close()


def test_idle_status_has_every_key(rig: Rig) -> None:
    st = rig.engine.status()
    assert st["state"] == "idle" and st["room"] == "Room 3" and st["max_db"] == -6.0 and st["faults"] == []


def test_four_hour_session_hits_every_boundary_to_the_millisecond(rig: Rig) -> None:
    st = rig.start()
    assert st["state"] == "playing" and st["phase"] == "settling"
    assert rig.mixer.calls[0] == ("play", "settling-0.flac", {"fade_in_s": 45.0, "start_s": 0.0})
    assert len(rig.mixer.prefetched) == 10  # every track's loudness is measured ahead
    # Move the clock in uneven steps that never land on a boundary.
    for _ in range(4 * 3600 // 7 + 3):
        rig.clock.advance(7.001)
    assert rig.engine.sync()
    events = rig.events()
    starts = [(e["details"]["phase"], e["elapsed_s"]) for e in events if e["type"] == "phase_started"]
    assert starts == [("settling", 0.0), ("onset", 600.0), ("peak", 1500.0), ("comedown", 3900.0),
                      ("recovery", 5700.0)]
    ended = [e for e in events if e["type"] == "session_ended"]
    assert ended and ended[0]["elapsed_s"] == 14400.0 and ended[0]["details"]["reason"] == "completed"
    assert rig.engine.status()["state"] == "ended"


def test_many_small_steps_make_no_drift(rig: Rig) -> None:
    rig.start()
    for _ in range(601):
        rig.advance(1.0)
    starts = [e["elapsed_s"] for e in rig.events() if e["type"] == "phase_started"]
    assert starts == [0.0, 600.0]
    assert rig.mixer.names("crossfade_to") == ["onset-0.flac"]


def test_pause_extends_the_plan_and_resume_fades_back(rig: Rig) -> None:
    rig.start()
    rig.advance(100)
    assert rig.engine.submit("pause", source="button")["state"] == "paused"
    rig.advance(1000)  # well past the planned end of settling
    assert rig.engine.status()["phase"] == "settling"
    st = rig.engine.submit("resume", source="web")
    assert st["state"] == "playing" and st["phase_remaining_s"] == 500.0
    rig.advance(500)
    starts = [e["elapsed_s"] for e in rig.events() if e["type"] == "phase_started"]
    assert starts == [0.0, 1600.0]
    kinds = [c[0] for c in rig.mixer.calls]
    assert kinds.index("pause") < kinds.index("resume")


def test_controls_are_logged_with_their_source_before_the_answer(rig: Rig) -> None:
    rig.start()
    rig.engine.submit("mark", source="web", text="BP 128/82")
    rig.engine.submit("extend", source="cli", minutes=5)
    rig.engine.submit("volume", source="button", delta_db=-3)
    rig.engine.submit("next", source="button")
    log = rig.events()  # read right after the answers: everything is already on disk
    by_type = {e["type"]: e for e in log}
    assert by_type["marked"]["source"] == "web" and by_type["marked"]["details"]["text"] == "BP 128/82"
    assert by_type["phase_extended"]["details"] == {"phase": "settling", "minutes": 5.0, "planned_end_s": 900.0}
    assert by_type["volume_changed"]["details"] == {"from_db": -20.0, "to_db": -23.0}  # from the start level
    assert by_type["track_skipped"]["details"]["reason"] == "staff: next track"
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    assert all(e["session_id"] == rig.last_sid for e in log)


def test_volume_never_exceeds_the_cap(rig: Rig) -> None:
    rig.start()
    for _ in range(10):
        st = rig.engine.submit("volume", source="button", delta_db=3)
    assert st["volume_db"] == -6.0
    assert rig.engine.submit("volume", source="web", level_db=0)["volume_db"] == -6.0
    assert max(c[2]["level_db"] for c in rig.mixer.calls if c[0] == "set_master_db") <= -6.0


def test_advance_crossfades_into_the_next_phase(rig: Rig) -> None:
    rig.start()
    rig.advance(30)
    st = rig.engine.submit("advance", source="web")
    assert st["phase"] == "onset" and st["phase_elapsed_s"] == 0.0
    assert rig.mixer.calls[-1][:2] == ("crossfade_to", "onset-0.flac")
    adv = [e for e in rig.events() if e["type"] == "phase_advanced"][0]
    assert adv["details"] == {"from": "settling", "to": "onset"} and adv["source"] == "web"


@pytest.mark.parametrize("action,args,message", [
    ("pause", {}, "cannot pause: no session is running"),
    ("resume", {}, "cannot resume: no session is running"),
    ("mark", {"text": "x"}, "cannot mark: no session is running"),
    ("start", {"playlist": "broken.yaml"}, "unknown key 'phasse'"),
    ("start", {}, "session.default_playlist is not set"),
    ("extend", {"minutes": -1}, "minutes must be more than 0"),
    ("fly", {}, "unknown action 'fly'"),
])
def test_illegal_controls_change_nothing(rig: Rig, action, args, message) -> None:
    before = rig.engine.status()
    with pytest.raises(SessionRefused, match=message):
        rig.engine.submit(action, source="cli", **args)
    assert rig.engine.status() == before
    assert not (rig.data_dir / "sessions").exists()


def test_refusals_while_playing_and_paused(rig: Rig) -> None:
    rig.start()
    with pytest.raises(SessionRefused, match="already playing"):
        rig.engine.submit("resume", source="cli")
    rig.engine.submit("pause", source="cli")
    with pytest.raises(SessionRefused, match="paused; resume it first"):
        rig.engine.submit("next", source="cli")
    rig.engine.submit("resume", source="cli")
    for _ in range(4):
        rig.engine.submit("advance", source="cli")
    with pytest.raises(SessionRefused, match="last phase"):
        rig.engine.submit("advance", source="cli")


def test_stop_and_emergency_stop_fade(rig: Rig) -> None:
    rig.start()
    st = rig.engine.submit("emergency_stop", source="button")
    assert st["state"] == "ended" and ("emergency_stop", None, {"fade_s": 0.5}) in rig.mixer.calls
    assert rig.events()[-2]["details"] == {"reason": "emergency_stop"}
    assert {e["session_id"] for e in rig.events()} == {rig.last_sid}     # the last records are the session's too
    assert not (rig.data_dir / "state.json").exists()
    rig.start()
    rig.engine.submit("stop", source="web")
    assert ("stop", None, {"fade_s": 3.0}) in rig.mixer.calls


def test_listeners_see_every_record(rig: Rig) -> None:
    got: list[dict] = []
    seen = threading.Event()

    def listener(record: dict) -> None:
        got.append(record)
        if record["type"] == "marked":
            seen.set()
    unsubscribe = rig.engine.subscribe(listener)
    rig.start()
    rig.engine.submit("mark", source="web", text="patient spoke")
    assert seen.wait(5)
    unsubscribe()
    assert [r["type"] for r in got][:3] == ["session_started", "state_changed", "phase_started"]


def test_tracks_loop_or_fall_silent_when_a_phase_runs_short(tmp_path: Path) -> None:
    r = Rig(tmp_path, on_short="silence", tracks_per_phase=1)
    r.engine.start()
    try:
        r.start()
        r.advance(290)                   # the phase's only track nears its end: nothing follows it
        assert ("queue_next", None, {"crossfade_s": 8.0}) in r.mixer.calls
        with pytest.raises(SessionRefused, match="no more tracks"):
            r.engine.submit("next", source="cli")
    finally:
        r.engine.close()


def test_final_phase_fades_out_on_time(rig: Rig) -> None:
    rig.start()
    for _ in range(4):
        rig.engine.submit("advance", source="cli")
    rig.advance(8700 - 90 + 0.01)
    stops = [c for c in rig.mixer.calls if c[0] == "stop"]
    assert len(stops) == 1 and stops[0][2]["fade_s"] == pytest.approx(90, abs=0.5)
    rig.advance(100)
    assert rig.engine.status()["state"] == "ended"


def test_restart_continues_the_clock_from_silence(tmp_path: Path) -> None:
    clock = FakeClock()
    first = Rig(tmp_path, clock=clock)
    first.engine.start()
    first.start()
    first.advance(590)
    first.engine.submit("mark", source="cli", text="before the cut")
    first.engine.close()  # like kill -9: no session_ended, the state file stays
    clock.advance(42.0)  # the power was off for 42 s
    second = Rig(tmp_path, clock=clock)
    second.last_sid = first.last_sid
    second.engine.start()
    try:
        st = second.engine.status()
        assert st["state"] == "playing" and st["session_id"] == first.last_sid and st["phase"] == "onset"
        events = second.events()
        restart = [e for e in events if e["type"] == "daemon_restarted"][0]
        assert restart["details"]["gap_s"] == 42.0 and restart["elapsed_s"] == 632.0
        assert [e["elapsed_s"] for e in events if e["type"] == "phase_started"] == [0.0, 600.0]
        assert second.mixer.calls[0][0] == "play" and second.mixer.calls[0][2]["fade_in_s"] == 45.0
        assert second.mixer.calls[0][2]["after_restart"] is True   # a short pre-roll: silence since the cut
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    finally:
        second.engine.close()


def test_restart_with_pause_policy_waits_for_staff(tmp_path: Path) -> None:
    clock = FakeClock()
    first = Rig(tmp_path, clock=clock, policy="pause")
    first.engine.start()
    first.start()
    first.advance(100)
    first.engine.close()
    clock.advance(300.0)
    second = Rig(tmp_path, clock=clock, policy="pause")
    second.engine.start()
    try:
        st = second.engine.status()
        assert st["state"] == "paused" and st["phase"] == "settling"
        assert second.mixer.calls == []  # silence until staff resume
        st = second.engine.submit("resume", source="button")
        assert st["phase_remaining_s"] == 500.0
        assert second.mixer.calls[0] == ("play", "settling-0.flac",
                                         {"fade_in_s": 45.0, "start_s": 100.0, "after_restart": True})
    finally:
        second.engine.close()


def test_a_corrupt_state_file_starts_idle(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    r.data_dir.mkdir(parents=True)
    (r.data_dir / "state.json").write_text(json.dumps({"state": "playing", "session_id": "x"}))
    r.engine.start()
    try:
        assert r.engine.status()["state"] == "idle"
    finally:
        r.engine.close()


def test_finish_track_lets_the_track_play_out_then_starts_the_next_phase(tmp_path: Path) -> None:
    r = Rig(tmp_path, finish_track=True)
    r.engine.start()
    try:
        st = r.start()
        assert st["phases"][0]["planned_end_s"] == 876.0   # `session-player plan`'s: the third track plays out
        planned_end = 600.0                                # the phase clock's
        r.advance(planned_end + 0.5)    # settling's time is up, its track still plays
        assert r.engine.status()["phase"] == "settling"
        assert r.mixer.calls[-1] == ("queue_next", "onset-0.flac", {"crossfade_s": 8.0})
        r.advance(300)                  # the track plays out and crossfades into onset's first track
        st = r.engine.status()
        assert st["phase"] == "onset" and st["track"] == "onset-0.flac"
        events = r.events()
        started = [e for e in events if e["type"] == "phase_started"][-1]
        onset_track = [e for e in events if e["type"] == "track_started" and e["details"]["file"] == "onset-0.flac"]
        assert started["elapsed_s"] == onset_track[0]["elapsed_s"] > planned_end
        assert started["details"]["planned_end_s"] == pytest.approx(started["elapsed_s"] + 900.0)
    finally:
        r.engine.close()


def test_phase_change_uses_the_ending_phases_crossfade(rig: Rig) -> None:
    rig.start()
    rig.advance(600)
    assert ("crossfade_to", "onset-0.flac", {"crossfade_s": 8.0, "start_s": 0.0}) in rig.mixer.calls


def test_stopping_the_player_mid_session_ramps_the_music_down_and_keeps_the_session(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    r.engine.start()
    r.start()
    r.advance(5)      # the music is heard
    r.engine.close()  # e.g. systemctl stop during a session
    assert r.mixer.calls[-1] == ("emergency_stop", None, {"fade_s": 0.5}) and r.mixer.closed
    assert json.loads((r.data_dir / "state.json").read_text())["state"] == "playing"


def test_a_phase_whose_every_track_fails_falls_back_to_the_last_music_heard(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    for n in range(2):
        r.mixer.out.add_media(tmp_path / f"onset-{n}.flac", 300.0, fault="error")   # both of onset's tracks
    r.engine.start()
    try:
        r.start()
        r.advance(640)
        st = r.engine.status()
        assert st["phase"] == "onset" and st["faults"] == ["no playable track in phase onset"]
        events = r.events()
        skipped = [e["details"]["file"] for e in events if e["type"] == "track_skipped"]
        assert skipped[:2] == ["onset-0.flac", "onset-1.flac"]
        last = [e for e in events if e["type"] == "track_started"][-1]
        assert last["details"] == {"phase": "onset", "file": "settling-0.flac", "fallback": True}
        assert last["elapsed_s"] < 610
        assert r.mixer.current is not None and not r.mixer.is_silent   # the patient still hears music
    finally:
        r.engine.close()


def test_each_session_starts_at_its_low_level_whatever_the_last_one_ended_at(rig: Rig) -> None:
    rig.start()
    rig.advance(60)
    for _ in range(6):
        rig.engine.submit("volume", source="web", delta_db=3)
    assert rig.engine.status()["volume_db"] == -6.0                  # session 1 at the cap
    rig.engine.submit("stop", source="web")
    rig.advance(5)
    st = rig.start()
    assert st["volume_now_db"] == -20.0 and st["volume_db"] == -12.0  # start_db, rising to default_db
    rig.advance(60)
    st = rig.engine.status()
    assert st["volume_now_db"] > -20.0 and st["volume_db"] == -12.0 < -6.0


def test_a_calibrated_chair_shows_dba_and_records_the_exposure(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    r.config = config_from_mapping({"data_dir": str(r.data_dir), "room": "Room 3",
                                    "volume": {"calibration_dba_at_0db": 90.0, "start_db": -20, "default_db": -20}})
    from tests.support.spy_mixer import SpyMixer
    media = [(t.path, t.duration_s) for p in r.playlists["four"].phases for t in p.tracks]
    r.mixer = SpyMixer(r.config, r.clock, media)
    r.engine = SessionEngine(r.config, r.mixer, r.clock, load_playlist=r._load)
    r.engine.start()
    try:
        st = r.start()
        assert st["volume_dba"] == 70.0 and st["max_dba"] == 84.0     # -20 dB, cap -6 dB, at 90 dBA per 0 dB
        r.advance(400)                                                 # the 45 s fade-in, then steady
        assert 69.0 <= r.engine.status()["heard_dba"] <= 70.5
        r.engine.submit("stop", source="web")
        exposures = [e for e in r.events() if e["type"] == "exposure"]
        assert len(exposures) == 2                                     # every 5 min, and at the end
        last = exposures[-1]["details"]
        assert last["seconds"] == pytest.approx(400.0, abs=1.0)
        assert 66.0 < last["laeq_dba"] < 70.0                          # the fade-in's quieter minute counts
        assert last["daily_dose"] == pytest.approx(400 / (8 * 3600 * 2 ** ((85 - last["laeq_dba"]) / 3)), rel=0.2)
    finally:
        r.engine.close()


def test_a_lost_audio_device_faults_the_session_and_its_return_resumes_it(rig: Rig) -> None:
    rig.start()
    rig.advance(60)
    rig.mixer.out.set_device_present(False)            # the USB DAC is pulled
    rig.advance(2)
    st = rig.engine.status()
    assert st["state"] == "faulted" and st["faults"] == ["audio device lost: default"] and st["audio"] == "device lost"
    rig.advance(600)                                   # the phase clock runs on
    assert rig.engine.status()["phase"] == "onset"
    rig.mixer.out.set_device_present(True)
    rig.advance(40)
    st = rig.engine.status()
    assert st["state"] == "playing" and st["faults"] == [] and not rig.mixer.is_silent
    kinds = [e["type"] for e in rig.events()]
    assert kinds.count("fault") == 1 and kinds.count("fault_cleared") == 1
    states = [(e["details"]["from"], e["details"]["to"]) for e in rig.events() if e["type"] == "state_changed"]
    assert ("playing", "faulted") in states and ("faulted", "playing") in states


@pytest.mark.parametrize("text", ["two\nlines", "tab\there", "del\x7f", "nel\x85line", "ls\u2028line",
                                  "ps\u2029para", "esc\x1b[31m"])
def test_a_mark_stays_one_line(rig: Rig, text: str) -> None:
    rig.start()
    with pytest.raises(SessionRefused, match="one line"):
        rig.engine.submit("mark", source="web", text=text)
    assert not [e for e in rig.events() if e["type"] == "marked"]
