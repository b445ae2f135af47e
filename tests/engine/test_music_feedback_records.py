"""Music feedback on the REAL engine (real mixer on the fake output, real playlist, real files, fsync):
the answer's record beside the finished session's log, a changed answer kept with the first, refusals that
write nothing, a disk that refuses (the answer waits in memory and is written in order), and the export
summed from those real-engine files, also when one of them is damaged."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from player.config import MusicFeedbackConfig
from player.core.session import STORAGE_FAULT
from player.engine.eventlog import read_events
from player.engine.feedback_log import FEEDBACK_FILE
from player.engine.records import RecordKeeper
from player.errors import SessionRefused
from player.reports.feedback import collect, render_text, session_feedback
from tests.engine.test_records import FULL, Disk
from tests.support.engine_log import Recorder, _Player


def ended_session(rec: Recorder) -> str:
    """A short session on the real engine: settling a1 then a2, on to peak, stopped."""
    session_id = rec.submit("start", "cli", playlist=str(rec.playlist))["session_id"]
    rec.run(80.0)                       # a1 (70 s) then a2 crossfading in
    rec.submit("advance", "cli")
    rec.run(10.0)
    rec.submit("stop", "cli")
    rec.run(3.0)
    return session_id


def answers_file(rec: Recorder, session_id: str) -> Path:
    return rec.config.data_dir / "sessions" / session_id / FEEDBACK_FILE


def test_answers_are_kept_beside_the_finished_sessions_log(tmp_path: Path) -> None:
    rec = Recorder(tmp_path)
    try:
        sid = ended_session(rec)
        events_before = (rec.config.data_dir / "sessions" / sid / "events.jsonl").read_bytes()
        heard = session_feedback(rec.config.data_dir)
        assert heard["session_id"] == sid and heard["ended"]
        assert [t["file"] for t in heard["tracks"]] == ["settle/a1.flac", "settle/a2.flac", "peak/b1.flac"]
        assert heard["phases"] == ["settling", "peak"]
        status = rec.submit("feedback", "web", session=sid, track="settle/a1.flac", answer="helped",
                            note="felt held")
        assert status["state"] == "ended"               # never a change of the session's state
        rec.submit("feedback", "cli", session=sid, phase="peak", answer="unwelcome")
        rec.submit("feedback", "web", session=sid, track="settle/a1.flac", answer="neutral", note="felt held")
    finally:
        rec.close()
    lines = read_events(answers_file(rec, sid))
    assert [(r["type"], r["source"], r["session_id"], r["details"]) for r in lines] == [
        ("music_feedback", "web", sid, {"track": "settle/a1.flac", "answer": "helped", "note": "felt held"}),
        ("music_feedback", "cli", sid, {"phase": "peak", "answer": "unwelcome"}),
        ("music_feedback", "web", sid, {"track": "settle/a1.flac", "answer": "neutral", "note": "felt held"}),
    ]
    assert all(r["time"].startswith("20") for r in lines)
    # The session's own record is as it was when it ended.
    assert (rec.config.data_dir / "sessions" / sid / "events.jsonl").read_bytes() == events_before
    shown = session_feedback(rec.config.data_dir, sid)["answers"]
    assert [(a["kind"], a["item"], a["answer"]) for a in shown] == [("phase", "peak", "unwelcome"),
                                                                     ("track", "settle/a1.flac", "neutral")]


def test_refused_feedback_writes_nothing(tmp_path: Path) -> None:
    rec = Recorder(tmp_path)
    try:
        sid = ended_session(rec)
        with pytest.raises(SessionRefused, match="was not heard in session"):
            rec.submit("feedback", "web", session=sid, track="recover/c1.flac", answer="helped")
        with pytest.raises(SessionRefused, match="'recovery' was not reached"):
            rec.submit("feedback", "web", session=sid, phase="recovery", answer="helped")
        with pytest.raises(SessionRefused, match="no session 'nope'"):
            rec.submit("feedback", "web", session="nope", phase="peak", answer="helped")
        with pytest.raises(SessionRefused, match="is not a session id"):
            rec.submit("feedback", "web", session="../etc", phase="peak", answer="helped")
        with pytest.raises(SessionRefused, match="note must be one line"):
            rec.submit("feedback", "web", session=sid, phase="peak", answer="helped", note="BP \u202e28/821")
        running = rec.submit("start", "cli", playlist=str(rec.playlist))["session_id"]
        rec.run(5.0)
        with pytest.raises(SessionRefused, match="has not ended"):
            rec.submit("feedback", "web", session=running, phase="settling", answer="helped")
        # During the next patient's session, the last one's answers still go to the last one.
        rec.submit("feedback", "web", session=sid, phase="peak", answer="helped")
        assert rec.player.engine.status()["state"] == "playing"
    finally:
        rec.close()
    assert [r["details"] for r in read_events(answers_file(rec, sid))] == [{"phase": "peak", "answer": "helped"}]
    assert not answers_file(rec, running).exists()


def test_an_answer_given_while_the_disk_refuses_waits_and_is_written(tmp_path: Path) -> None:
    disk = Disk()
    rec = Recorder(tmp_path, records=lambda data_dir: RecordKeeper(data_dir, open_log=disk.log))
    try:
        sid = ended_session(rec)
        disk.refusal = FULL
        status = rec.submit("feedback", "web", session=sid, track="settle/a2.flac", answer="helped")
        assert status["records_pending"] == 2          # the answer, and the fault staff see
        assert STORAGE_FAULT + "No space left on device" in status["faults"]
        assert not answers_file(rec, sid).exists()
        disk.refusal = None
        rec.run(6.0)                                  # the engine retries every 5 s
        assert not any(f.startswith(STORAGE_FAULT) for f in rec.player.engine.status()["faults"])
    finally:
        rec.close()
    assert [r["details"] for r in read_events(answers_file(rec, sid))] == [{"track": "settle/a2.flac",
                                                                           "answer": "helped"}]


def test_the_export_sums_real_engine_files_and_names_a_damaged_one(tmp_path: Path) -> None:
    rec = Recorder(tmp_path)
    try:
        first = ended_session(rec)
        rec.submit("feedback", "web", session=first, track="settle/a1.flac", answer="helped", note="warm")
        rec.submit("feedback", "web", session=first, phase="peak", answer="unwelcome")
        rec.clock.advance(2.0)                        # a new session id (named by the second)
        second = ended_session(rec)
        rec.submit("feedback", "web", session=second, track="settle/a1.flac", answer="unwelcome", note="sad")
        rec.submit("feedback", "web", session=second, track="settle/a1.flac", answer="helped", note="sad")
        rec.clock.advance(2.0)
        third = ended_session(rec)                    # no feedback at all
    finally:
        rec.close()
    assert len({first, second, third}) == 3
    summary = collect(rec.config.data_dir)
    assert summary["problems"] == [] and summary["sessions"] == 2
    assert summary["rows"] == [
        {"kind": "track", "item": "settle/a1.flac", "helped": 2, "neutral": 0, "unwelcome": 0, "sessions": 2,
         "notes": 2},
        {"kind": "phase", "item": "peak", "helped": 0, "neutral": 0, "unwelcome": 1, "sessions": 1, "notes": 0},
    ]
    text = render_text(summary)
    assert "settle/a1.flac" in text and "phase: peak" in text and "2 session(s) with feedback" in text

    damaged = answers_file(rec, first)
    with damaged.open("ab") as f:
        f.write(b'{"type": "music_feedback", "details": {"answer": "hel\xff')   # torn, not UTF-8
    bad = answers_file(rec, second)
    content = bad.read_bytes()
    bad.write_bytes(b"not json at all\n" + content)
    summary = collect(rec.config.data_dir)
    assert [p.split(": ", 1)[0] for p in summary["problems"]] == [f"{damaged}:3", f"{bad}:1"]
    assert summary["rows"][0]["helped"] == 2                    # the good lines still count
    unreadable = answers_file(rec, third)
    unreadable.mkdir()                                          # a folder where the file should be
    summary = collect(rec.config.data_dir)
    assert any(p.startswith(f"{unreadable}: cannot read") for p in summary["problems"]), summary["problems"]
    assert summary["rows"][0]["helped"] == 2
    json.dumps(summary)


def test_answers_close_when_the_clinic_says_so(tmp_path: Path) -> None:
    rec = Recorder(tmp_path)
    rec.close()
    rec.config = replace(rec.config, music_feedback=MusicFeedbackConfig(editable_s=3600.0))
    rec.player = _Player(rec.config, rec.clock, rec.broken)
    try:
        sid = ended_session(rec)
        rec.clock.step_wall(3500.0)
        rec.submit("feedback", "web", session=sid, phase="peak", answer="helped")
        rec.clock.step_wall(200.0)                       # 1 h after it ended: closed, nothing written
        with pytest.raises(SessionRefused, match="closed 1 h after it ended"):
            rec.submit("feedback", "web", session=sid, phase="peak", answer="unwelcome")
    finally:
        rec.close()
    assert [r["details"]["answer"] for r in read_events(answers_file(rec, sid))] == ["helped"]
