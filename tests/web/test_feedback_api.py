"""GET /api/feedback (the page's feedback form) and the feedback control over POST /api/control."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from player.config import Config
from player.control.fake import FakeController
from player.engine.eventlog import EventLog
from player.engine.feedback_log import feedback_path
from tests.support.records_factory import SessionLogBuilder
from tests.web.conftest import Http


def finished(data_dir: Path, session_id: str, start_hour: int) -> None:
    b = SessionLogBuilder(session_id=session_id, start_wall=datetime(2026, 11, 25, start_hour, tzinfo=UTC))
    b.started()
    b.add(1.0, "phase_started", phase="settling", index=0, planned_start_s=0.0, planned_end_s=60.0)
    b.add(1.0, "track_started", phase="settling", file="music/rain.flac")
    b.add(90.0, "session_ended", "web", reason="stopped")
    b.write(data_dir)


def test_the_form_shows_the_newest_finished_session(http: Http, web_config: Config) -> None:
    assert http.get("/api/feedback").json() == {"session_id": None, "tracks": [], "phases": [], "answers": [],
                                                "ended": False}
    finished(web_config.data_dir, "older", 9)
    finished(web_config.data_dir, "newer", 11)
    running = SessionLogBuilder(session_id="running")
    running.started()
    running.write(web_config.data_dir)
    with EventLog(feedback_path(web_config.data_dir, "newer")) as log:
        for answer in ("helped", "unwelcome"):
            log.append({"time": "t", "session_id": "newer", "type": "music_feedback", "source": "web",
                        "details": {"track": "music/rain.flac", "answer": answer, "note": "rain"}})
    body = http.get("/api/feedback").json()
    assert body["session_id"] == "newer" and body["ended"] and body["phases"] == ["settling"]
    assert body["tracks"] == [{"file": "music/rain.flac", "phase": "settling", "title": "rain", "artist": None}]
    assert body["answers"] == [{"kind": "track", "item": "music/rain.flac", "answer": "unwelcome", "note": "rain",
                                "time": "t"}]
    assert http.get("/api/feedback?session=older").json()["answers"] == []
    missing = http.get("/api/feedback?session=nope")
    assert missing.status == 404 and str(web_config.data_dir) not in missing.body.decode()
    assert http.get("/api/feedback?session=../x").status == 404
    assert http.get("/api/feedback", auth=False).status == 401


def test_the_feedback_control_is_checked_at_the_door(http: Http, controller: FakeController) -> None:
    bad = http.control("feedback", session="s", track="a.flac", answer="helped", note="x\u202ey")
    assert bad.status == 400 and "note must be one line" in bad.json()["error"]
    assert http.control("feedback", session="s", answer="helped").status == 400
    ok = http.control("feedback", session="s", track="a.flac", answer="helped")
    assert ok.status == 200 and "feedback" in ok.json()["status"]["allowed"]
    assert controller.submitted[-1] == ("feedback", "web", {"session": "s", "answer": "helped", "track": "a.flac"})
