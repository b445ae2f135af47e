"""Export of session reports onto a stick: layout, new-only vs --all, atomic files, no links followed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from player.cli import main
from player.usb.export import export_reports, safe_folder_name
from player.usb.stick import UnsafePath
from tests.support.records_factory import SESSION_ID, realistic_session


@pytest.fixture
def sessions(data_dir: Path) -> Path:
    realistic_session().write(data_dir)
    realistic_session(ended=False, session_id="20260102-090000-room-3").write(data_dir)
    return data_dir


def test_export_writes_every_format_and_raw_log(tmp_path, sessions):
    stick = tmp_path / "stick"
    stick.mkdir()
    written = export_reports(stick, sessions)
    folder = stick / "session-player" / "reports" / "Room 3"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{sid}.{ext}" for sid in (SESSION_ID, "20260102-090000-room-3") for ext in ("csv", "html", "json",
                                                                                     "events.jsonl"))
    assert len(written) == 8
    assert json.loads((folder / f"{SESSION_ID}.json").read_text())["outcome"] == "completed"
    assert (folder / f"{SESSION_ID}.events.jsonl").read_bytes() == (
        sessions / "sessions" / SESSION_ID / "events.jsonl").read_bytes()
    assert (folder / f"{SESSION_ID}.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


def test_second_export_only_new_or_running_sessions(tmp_path, sessions):
    stick = tmp_path / "stick"
    stick.mkdir()
    export_reports(stick, sessions)
    again = export_reports(stick, sessions)
    assert {Path(p).name.split(".")[0] for p in again} == {"20260102-090000-room-3"}  # still in progress
    assert len(export_reports(stick, sessions, all_sessions=True)) == 8


def test_music_feedback_goes_with_the_session_and_again_when_it_changes(tmp_path, sessions):
    """Answers given after a session was exported reach the stick at the next export: nothing stays behind."""
    stick = tmp_path / "stick"
    stick.mkdir()
    folder = stick / "session-player" / "reports" / "Room 3"
    feedback = sessions / "sessions" / SESSION_ID / "music-feedback.jsonl"
    feedback.write_text('{"type": "music_feedback", "answer": "helped"}\n')
    export_reports(stick, sessions)
    assert (folder / f"{SESSION_ID}.music-feedback.jsonl").read_bytes() == feedback.read_bytes()
    assert SESSION_ID not in {Path(p).name.split(".")[0] for p in export_reports(stick, sessions)}
    with feedback.open("a") as f:
        f.write('{"type": "music_feedback", "answer": "unwelcome"}\n')
    again = export_reports(stick, sessions)
    assert f"session-player/reports/Room 3/{SESSION_ID}.music-feedback.jsonl" in again
    assert (folder / f"{SESSION_ID}.music-feedback.jsonl").read_bytes() == feedback.read_bytes()


def test_export_never_follows_links_on_the_stick(tmp_path, sessions):
    stick = tmp_path / "stick"
    (stick / "session-player").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, stick / "session-player" / "reports")
    with pytest.raises(UnsafePath):
        export_reports(stick, sessions)
    assert list(outside.iterdir()) == []


def test_safe_folder_name():
    assert safe_folder_name("Room 3") == "Room 3"
    assert safe_folder_name('a/b\\c:d*?"<>|\x07.') == "a_b_c_d_______"
    assert safe_folder_name("..") == "unknown-room"
    assert safe_folder_name(None) == "unknown-room"


def test_export_command(tmp_path, sessions, capsys):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"data_dir: {sessions}\n")
    stick = tmp_path / "stick"
    stick.mkdir()
    assert main(["export", str(stick), "--config", str(cfg)]) == 0
    assert "exported 8 files" in capsys.readouterr().out
    assert main(["export", str(stick), "--all", "--config", str(cfg)]) == 0
    assert "exported 8 files" in capsys.readouterr().out
