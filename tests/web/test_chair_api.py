"""The HTTP side of the chair: playlists with details, calmer controls, the checklist, the music page."""

from __future__ import annotations

import json

from player.config import load_config
from player.session.fake_controller import FakeController
from player.web import WebServer
from tests.support.records_factory import SESSION_ID, realistic_session, write_session_log
from tests.web.conftest import Http
from tests.web.test_library_names import make_library


def test_playlists_with_details_summarize_each_and_hide_the_data_folder(http, web_config) -> None:
    make_library(web_config.data_dir, {"iv.yaml": "name: IV\nphases:\n  - name: peak\n    duration: 10m\n",
                                       "broken.yaml": "name: B\nphases: 7\n"})
    assert http.get("/api/playlists").json() == {"playlists": ["broken", "iv"]}     # unchanged without details
    answer = http.get("/api/playlists?details=1").json()
    assert answer["playlists"] == ["broken", "iv"]
    rows = {r["name"]: r for r in answer["details"]}
    assert rows["iv"]["valid"] and rows["iv"]["duration_s"] == 600.0 and rows["iv"]["phases"] == ["peak"]
    assert not rows["broken"]["valid"] and rows["broken"]["error"].startswith("<data_dir>/library/")
    assert str(web_config.data_dir) not in json.dumps(answer)


def test_calmer_over_http_is_refused_with_the_reason_when_the_phase_has_none(http, controller) -> None:
    http.control("start")
    reply = http.control("calmer", minutes=10)
    assert reply.status == 409 and reply.json()["error"].startswith("no calmer music for phase settling")
    assert reply.json()["status"]["calmer"] is None and reply.json()["status"]["calmer_available"] is False
    bad = http.control("calmer", minutes="ten")
    assert bad.status == 400 and "minutes must be a number" in bad.json()["error"]
    assert "calmer" in http.get("/api/status").json()["allowed"]


def test_the_page_status_carries_the_checklist(tmp_path) -> None:
    config = load_config({"room": "Room 3", "data_dir": str(tmp_path / "data"), "web": {"port": 0},
                          "session": {"checklist": ["eye mask"], "require_checklist": True,
                                      "default_playlist": "default.yaml"}})
    controller = FakeController(config=config)
    with WebServer(config, controller, tick_s=0.2) as server:
        api = Http(server, config.token_path.read_text().strip())
        status = api.get("/api/status").json()
        assert status["checklist"] == ["eye mask"] and status["require_checklist"] is True
        refused = api.control("start", checked=[])
        assert refused.status == 409 and "the pre-session checklist is not complete: eye mask" in \
            refused.json()["error"]
        assert api.control("start", checked=["eye mask"]).status == 200


def test_the_music_page_is_served_as_a_report(http, web_config) -> None:
    write_session_log(web_config.data_dir, realistic_session().records)
    page = http.get(f"/api/sessions/{SESSION_ID}/report?format=music")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in page.headers["Content-Security-Policy"]
    body = page.body.decode()
    assert "Your session's music" in body and "Open Sky" in body and "Room 3" not in body
