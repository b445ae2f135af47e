"""Calmer music and the pre-session checklist on the real daemon: its control socket, the CLI, a restart.

The simulated audio output and a fake clock (the phase clock is checked to the millisecond);
the records are read back from the session's durable log.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from player.clock import FakeClock
from player.control import send_request
from player.daemon import Daemon
from player.engine.eventlog import read_events
from player.errors import SessionRefused
from tests.engine.conftest import daemon_config
from tests.support.audio_files import write_audio

CLI = [sys.executable, "-m", "player.cli"]
CHECKLIST = ["headphones fitted", "noise-canceling on", "eye mask", "comfortable level checked"]


@pytest.fixture
def calmer_playlist(tmp_path: Path) -> Path:
    for name in ("settle-1", "settle-2", "peak-1", "calm-a", "calm-b", "soft"):
        write_audio(tmp_path / "music" / f"{name}.flac", 120.0, tags={"title": name.title(), "artist": "Test"})
    path = tmp_path / "calmer.yaml"
    path.write_text("name: Calmer test\ncrossfade: 4s\ncalmer: [music/soft.flac]\nphases:\n"
                    "  - name: settling\n    duration: 10m\n    tracks: [music/settle-*.flac]\n"
                    "    calmer: [music/calm-*.flac]\n"
                    "  - name: peak\n    duration: 10m\n    tracks: [music/peak-1.flac]\n")
    return path


def _log(data: Path, session_id: str) -> list[dict]:
    return read_events(data / "sessions" / session_id / "events.jsonl")


def test_calmer_on_minutes_off_and_the_phase_clock_over_the_socket(tmp_path: Path, calmer_playlist: Path) -> None:
    clock = FakeClock()
    with Daemon(daemon_config(tmp_path / "data"), clock=clock) as daemon:
        sock = daemon.config.socket_path
        with pytest.raises(SessionRefused, match="cannot change to or from calmer music: no session is running"):
            send_request(sock, {"action": "calmer"})
        st = send_request(sock, {"action": "start", "playlist": str(calmer_playlist)})
        sid = st["session_id"]
        assert st["calmer"] is None and st["calmer_available"] is True
        clock.advance(60)
        st = send_request(sock, {"action": "calmer", "minutes": 2})
        assert st["calmer"] == {"since_s": 60.0, "until_s": 180.0} and st["phase_remaining_s"] == 540.0
        with pytest.raises(SessionRefused, match="minutes must be more than 0"):
            send_request(sock, {"action": "calmer", "minutes": 0})
        clock.advance(121)
        assert daemon.controller.sync()
        st = send_request(sock, {"action": "status"})
        assert st["calmer"] is None and st["phase"] == "settling" and st["phase_remaining_s"] == 419.0
        st = send_request(sock, {"action": "calmer"})                 # until off
        assert st["calmer"]["until_s"] is None
        clock.advance(10)
        st = send_request(sock, {"action": "calmer", "off": True})
        assert st["calmer"] is None
        with pytest.raises(SessionRefused, match="calmer music is not playing"):
            send_request(sock, {"action": "calmer", "off": True})
        send_request(sock, {"action": "pause"})
        with pytest.raises(SessionRefused, match="the session is paused; resume it first"):
            send_request(sock, {"action": "calmer"})
    log = _log(tmp_path / "data", sid)
    calmer = [(e["type"], e["source"], e["elapsed_s"], e["details"]) for e in log if e["type"].startswith("calmer")]
    assert calmer == [
        ("calmer_started", "cli", 60.0, {"phase": "settling", "minutes": 2.0, "until_s": 180.0}),
        ("calmer_ended", "system", 180.0, {"phase": "settling", "reason": "time up"}),
        ("calmer_started", "cli", 181.0, {"phase": "settling", "minutes": None, "until_s": None}),
        ("calmer_ended", "cli", 191.0, {"phase": "settling", "reason": "staff"}),
    ]
    assert [e for e in log if e["type"] == "phase_ended"] == []          # the phase clock never moved


def test_the_phase_without_calmer_music_of_its_own_takes_the_playlists_and_none_is_refused(
        tmp_path: Path, calmer_playlist: Path) -> None:
    clock = FakeClock()
    with Daemon(daemon_config(tmp_path / "data"), clock=clock) as daemon:
        sock = daemon.config.socket_path
        send_request(sock, {"action": "start", "playlist": str(calmer_playlist)})
        send_request(sock, {"action": "advance"})
        st = send_request(sock, {"action": "calmer"})
        assert st["calmer"] is not None and st["track"] == "music/soft.flac"
    bare = tmp_path / "bare.yaml"
    bare.write_text("name: Bare\ncrossfade: 4s\nphases:\n  - name: peak\n    duration: 10m\n"
                    "    tracks: [music/peak-1.flac]\n")
    with Daemon(daemon_config(tmp_path / "data2"), clock=FakeClock()) as daemon:
        sock = daemon.config.socket_path
        assert send_request(sock, {"action": "start", "playlist": str(bare)})["calmer_available"] is False
        with pytest.raises(SessionRefused, match="^no calmer music for phase peak"):
            send_request(sock, {"action": "calmer"})


def test_calmer_music_survives_a_restart_of_the_daemon(tmp_path: Path, calmer_playlist: Path) -> None:
    clock = FakeClock()
    config = daemon_config(tmp_path / "data")
    with Daemon(config, clock=clock) as daemon:
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(calmer_playlist)})[
            "session_id"]
        clock.advance(30)
        send_request(daemon.config.socket_path, {"action": "calmer", "minutes": 5})
        clock.advance(20)
    clock.advance(3)
    with Daemon(config, clock=clock) as daemon:
        st = daemon.status()
        assert st["session_id"] == sid and st["state"] == "playing"
        assert st["calmer"] == {"since_s": 30.0, "until_s": 330.0} and st["track"] == "music/calm-a.flac"


def test_the_cli_calmer_command_and_its_answers(tmp_path: Path, calmer_playlist: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(daemon_config(tmp_path / "data")))
    with Daemon(cfg) as daemon:
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(calmer_playlist)})
        on = subprocess.run([*CLI, "calmer", "10", "--config", str(cfg)], capture_output=True, text=True,
                            timeout=60)
        assert on.returncode == 0, on.stderr
        assert "calmer:    calmer music since" in on.stdout and "until 10:" in on.stdout
        off = subprocess.run([*CLI, "calmer", "off", "--config", str(cfg)], capture_output=True, text=True,
                             timeout=60)
        assert off.returncode == 0 and "calmer:" not in off.stdout
        again = subprocess.run([*CLI, "calmer", "off", "--config", str(cfg)], capture_output=True, text=True,
                               timeout=60)
        assert again.returncode == 1 and "calmer music is not playing" in again.stderr
        bad = subprocess.run([*CLI, "calmer", "soon", "--config", str(cfg)], capture_output=True, text=True,
                             timeout=60)
        assert bad.returncode == 1 and "cannot read 'soon'" in bad.stderr


def test_a_required_checklist_refuses_a_start_until_checked_and_the_answers_are_logged(
        tmp_path: Path, calmer_playlist: Path) -> None:
    data = tmp_path / "data"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(daemon_config(data, session={"checklist": CHECKLIST, "require_checklist": True})))
    with Daemon(cfg) as daemon:
        sock = daemon.config.socket_path
        with pytest.raises(SessionRefused, match="^the pre-session checklist is not complete: headphones fitted, "
                                                 "noise-canceling on, comfortable level checked not checked"):
            send_request(sock, {"action": "start", "playlist": str(calmer_playlist), "checked": ["eye mask"]})
        assert daemon.status()["state"] == "idle"
        out = subprocess.run([*CLI, "start", str(calmer_playlist), "--checked", "--config", str(cfg)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        sid = daemon.status()["session_id"]
    started = next(e for e in _log(data, sid) if e["type"] == "session_started")
    assert started["details"]["checklist"] == [{"item": i, "checked": True} for i in CHECKLIST]
    assert started["source"] == "cli"


def test_an_optional_checklist_records_what_was_ticked(tmp_path: Path, calmer_playlist: Path) -> None:
    data = tmp_path / "data"
    with Daemon(daemon_config(data, session={"checklist": CHECKLIST})) as daemon:
        st = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(calmer_playlist),
                                                      "checked": ["eye mask", "headphones fitted"]})
    started = next(e for e in _log(data, st["session_id"]) if e["type"] == "session_started")
    assert [a["checked"] for a in started["details"]["checklist"]] == [True, False, True, False]
