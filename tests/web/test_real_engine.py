"""The web API steering the real daemon (session engine, simulated audio, real clock and files).

A short playlist makes a real phase boundary pass within seconds; the live stream must show
it, and every control sent over HTTP must land in the session's durable log as `web`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from player.daemon import Daemon
from player.engine.eventlog import read_events
from player.web import WebServer
from tests.engine.conftest import daemon_config
from tests.web.conftest import Http
from tests.web.test_http import SseReader


@pytest.fixture
def daemon(tmp_path: Path, short_playlist: Path):
    config = daemon_config(tmp_path / "data", session={"default_playlist": str(short_playlist)},
                           web={"enabled": True, "port": 0})
    with Daemon(config) as running:
        yield running


def test_http_controls_and_live_phase_change_on_the_real_engine(daemon: Daemon, tmp_path: Path):
    server = daemon.part(WebServer)
    assert server is not None, daemon.faults
    api = Http(server, daemon.config.token_path.read_text().strip())
    assert api.get("/api/status").json()["state"] == "idle"
    reader = SseReader(api)
    try:
        reader.wait_for(lambda m: m[0] == "status")
        started = api.control("start")
        assert started.status == 200, started.body
        assert started.json()["status"]["state"] == "playing"
        # A real phase boundary passes (3 s): the stream shows it without anyone asking.
        reader.wait_for(lambda m: m[0] == "event" and m[1]["type"] == "phase_started"
                        and m[1]["details"].get("phase") == "onset", timeout=30)
        reader.wait_for(lambda m: m[0] == "status" and m[1]["phase"] == "onset")
        status = api.get("/api/status").json()
        assert status["phases"][0]["actual_end_s"] is not None and status["cap_db"] == daemon.config.volume.max_db
        assert api.control("pause").json()["status"]["state"] == "paused"
        refused = api.control("pause")
        assert refused.status == 409 and "cannot pause" in refused.json()["error"]
        assert refused.json()["status"]["state"] == "paused"
        assert api.control("mark", text="BP 128/82").status == 200
        assert api.control("extend", minutes=5).status == 200
        assert api.control("stop").json()["status"]["state"] == "ended"
        session_id = status["session_id"]
    finally:
        reader.close()
    rows = api.get("/api/sessions").json()["sessions"]
    assert session_id in [r["id"] for r in rows]
    report = api.get(f"/api/sessions/{session_id}/report?format=json").json()
    assert [p["name"] for p in report["phases"]][:2] == ["settling", "onset"]
    events = read_events(daemon.config.data_dir / "sessions" / session_id / "events.jsonl")
    by_web = [e["type"] for e in events if e.get("source") == "web"]
    assert "marked" in by_web and "phase_extended" in by_web
