"""`session-player status` as staff read it: the track's title, and calmer music never "until" after its phase ends."""

from __future__ import annotations

from pathlib import Path

from player.commands.status import format_status
from player.daemon import Daemon
from tests.engine.conftest import daemon_config
from tests.support.audio_files import write_audio

PLAYLIST = """\
name: Titles
crossfade: 1s
phases:
  - name: settling
    duration: 5m
    tracks: [music/01 rain.flac]
"""


def status(**over) -> dict:
    base = {"room": "Room 3", "state": "playing", "session_id": "s", "playlist": "Calm", "phase": "onset",
            "phase_index": 0, "phases": [{}], "elapsed_s": 170.0, "phase_elapsed_s": 170.0,
            "phase_remaining_s": 130.0, "remaining_s": 600.0, "track": "music/01 rain.flac",
            "track_title": "Rain on leaves", "volume_db": -20, "max_db": -6, "faults": []}
    return {**base, **over}


def test_calmer_until_is_capped_at_the_phase_end():
    """As found: calmer 10 min asked at 2:50 showed "until 12:50" though the phase ends at 5:00."""
    text = format_status(status(calmer={"since_s": 170.0, "until_s": 770.0}))
    assert "until 5:00, when the phase ends" in text and "12:50" not in text
    assert "until 4:00" in format_status(status(calmer={"since_s": 170.0, "until_s": 240.0}))
    assert "until 5:00, when the phase ends, or 'calmer off'" in format_status(status(calmer={"since_s": 170.0,
                                                                                           "until_s": None}))


def test_the_track_line_shows_the_title_then_the_file():
    assert "track:     Rain on leaves (music/01 rain.flac)" in format_status(status())
    assert "track:     music/01 rain.flac" in format_status(status(track_title=None))


def test_the_real_daemon_reports_the_title_tag_else_the_file_name(tmp_path: Path):
    write_audio(tmp_path / "music" / "01 rain.flac", 30.0, tags={"TITLE": "Rain on leaves"})
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    with Daemon(daemon_config(tmp_path / "data")) as daemon:
        daemon.controller.submit("start", source="cli", playlist=str(tmp_path / "p.yaml"))
        st = daemon.status()
    assert st["track"] == "music/01 rain.flac" and st["track_title"] == "Rain on leaves"
    write_audio(tmp_path / "music" / "01 rain.flac", 30.0)  # no tags: the file name, without its suffix
    with Daemon(daemon_config(tmp_path / "data2")) as daemon:
        daemon.controller.submit("start", source="cli", playlist=str(tmp_path / "p.yaml"))
        assert daemon.status()["track_title"] == "01 rain"
