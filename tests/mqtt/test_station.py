"""The nursing station on a real Mosquitto: chairs appear, stay complete through a broker restart,
go offline when killed, and the API keeps the chair page's token rules."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from player.station.server import StationServer
from tests.mqtt.conftest import until
from tests.mqtt.station_rig import FakeChair, StationApi, station_config
from tests.session.conftest import daemon_config

CLI = [sys.executable, "-m", "player.cli"]


@pytest.fixture
def station(broker, tmp_path):
    config = station_config(broker.port, tmp_path)
    with StationServer(config, tick_s=0.5, client_id="station-under-test") as server:
        yield server, StationApi(server, config)


@pytest.fixture
def chairs(broker, tmp_path):
    made: list[FakeChair] = []

    def make(room: str, **mqtt: object) -> FakeChair:
        made.append(FakeChair(broker.port, tmp_path / room.replace(" ", "_"), room, **mqtt))
        return made[-1]

    yield make
    for chair in made:
        chair.close()


def test_every_chair_appears_with_its_status(station, chairs):
    server, api = station
    one, two = chairs("Room 1"), chairs("Room 2")
    one.controller.submit("start", source="button", playlist="Ketamine 40 min")
    assert until(lambda: set(api.chairs()) == {"Room 1", "Room 2"}
                 and api.chairs()["Room 1"]["status"]["state"] == "playing")
    view = api.chairs()
    assert view["Room 1"]["online"] is True and view["Room 2"]["status"]["state"] == "idle"
    assert view["Room 1"]["last_seen_s"] < 5
    assert [c["room"] for c in api.get("/api/chairs")[1]][0] == "Room 1"  # a running session before an idle chair
    two.close()
    assert until(lambda: api.chairs()["Room 2"]["online"] is False)


def test_the_api_needs_the_token(station):
    server, api = station
    assert api.get("/api/chairs", token=None)[0] == 401
    assert api.get("/api/chairs", token="wrong-token-wrong-token")[0] == 401
    assert api.get("/healthz", token=None) == (200, {"ok": True})
    assert api.get("/api/chairs/room-77/events")[0] == 404
    assert api.get("/api/chairs/room-77/events", token=None)[0] == 401
    assert api.get("/api/chairs") == (200, [])


def _events(api, slug):
    return [(e["session_id"], e["seq"]) for e in api.events(slug)]


def test_broker_restart_mid_session_loses_and_repeats_nothing(broker, station, chairs):
    server, api = station
    chair = chairs("Room 5")
    control = chair.controller
    control.submit("start", source="button", playlist="Ketamine 40 min")
    for n in range(5):
        control.submit("mark", source="web", text=f"before {n}")
    assert until(lambda: len(api.events("room-5")) >= 6)
    broker.stop()
    assert until(lambda: not chair.feed.connected and not server.broker_connected)
    for n in range(10):                       # while the broker is away: played on, kept in the outbox
        control.submit("mark", source="web", text=f"during {n}")
    assert control.status()["state"] == "playing"
    assert len(chair.feed.outbox) == 10
    broker.start()
    control.submit("mark", source="web", text="after")
    session = control.status()["session_id"]
    logged = [(r["session_id"], r["seq"]) for r in control.records if r.get("session_id") == session]
    assert until(lambda: len(api.events("room-5")) >= len(logged), 30)
    assert until(lambda: chair.feed.published and not len(chair.feed.outbox))
    seen = _events(api, "room-5")
    assert seen == logged, "the station's view differs from the chair's log (lost, repeated or reordered)"
    texts = [e["details"].get("text") for e in api.events("room-5") if e["type"] == "marked"]
    assert texts == [f"before {n}" for n in range(5)] + [f"during {n}" for n in range(10)] + ["after"]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["kill-9", "frozen"])
def test_a_killed_chair_shows_offline_within_one_and_a_half_keepalives(broker, station, tmp_path, how,
                                                                      watcher_factory):
    """kill -9 closes the socket (the broker sends the will at once); a frozen chair (SIGSTOP: as a
    cut cable, the connection stays open and silent) is found out by the keepalive. The station
    also times a silent chair out itself, so a station that connects only after the chair died
    (a late watcher here) is what proves the broker holds the will: retained "offline"."""
    server, api = station
    keepalive_s = 2
    config = daemon_config(tmp_path / "chair", room="Room 9",
                           mqtt={"enabled": True, "host": "127.0.0.1", "port": broker.port,
                                 "keepalive_s": keepalive_s, "status_interval_s": 1})
    path = tmp_path / "chair.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.Popen([*CLI, "run", "--config", str(path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert until(lambda: api.chairs().get("Room 9", {}).get("online") is True, 60)
        killed_at = time.monotonic()
        os.kill(proc.pid, how)
        assert until(lambda: api.chairs()["Room 9"]["online"] is False, 3 * keepalive_s)
        took = time.monotonic() - killed_at
        print(f"{how.name}: offline after {took:.2f} s")
        assert took <= keepalive_s * 1.5 + 0.5, f"offline after {took:.1f} s"  # 0.5 s: polling and the broker's tick
        late = watcher_factory(broker.port, "session-player/room-9/online")
        # kill -9: the retained "offline" at once; frozen: "online", then "offline" when the broker's
        # own keepalive timer (1.5 keepalives, checked on its tick) runs out and it sends the will.
        online = "session-player/room-9/online"
        assert late.wait_for(lambda: late.on(online)[-1:] == [b"offline"], 3 * keepalive_s), \
            f"the broker sent no last will: {late.on(online)}"
    finally:
        proc.kill()
        proc.wait(10)
