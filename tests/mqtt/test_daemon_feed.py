"""The daemon's station feed: the real engine's records reach the station; the broker never touches playback."""

from __future__ import annotations

import threading
import time

from player.daemon import Daemon
from player.mqtt.publisher import ChairPublisher
from player.session.eventlog import read_events, session_log_path
from player.station.server import StationServer
from tests.mqtt.conftest import until
from tests.mqtt.station_rig import StationApi, station_config
from tests.session.conftest import daemon_config, demo_playlist  # noqa: F401 - a fixture
from tests.support.broker import free_port


def test_the_real_engine_s_records_reach_the_station_as_logged(broker, tmp_path, demo_playlist):  # noqa: F811
    config = station_config(broker.port, tmp_path)
    mqtt = {"enabled": True, "host": "127.0.0.1", "port": broker.port, "keepalive_s": 5, "status_interval_s": 1}
    with StationServer(config, tick_s=0.5, client_id="station-daemon") as station, \
            Daemon(daemon_config(tmp_path / "chair", mqtt=mqtt)) as daemon:
        api = StationApi(station, config)
        daemon.controller.submit("start", source="cli", playlist=str(demo_playlist))
        daemon.controller.submit("mark", source="web", text="BP 128/82")
        session = daemon.status()["session_id"]
        assert until(lambda: any(e["type"] == "marked" for e in api.events("room-3")))
        assert api.chairs()["Room 3"]["status"]["session_id"] == session
        logged = [(r["session_id"], r["seq"], r["type"])
                  for r in read_events(session_log_path(tmp_path / "chair", session))]
        shown = [(e["session_id"], e["seq"], e["type"]) for e in api.events("room-3") if e["session_id"] == session]
        assert shown == logged[:len(shown)] and len(shown) >= 3


def test_no_broker_changes_nothing_for_playback(tmp_path, demo_playlist):  # noqa: F811
    dead = free_port()   # nothing listens here
    mqtt = {"enabled": True, "host": "127.0.0.1", "port": dead, "keepalive_s": 5}
    with Daemon(daemon_config(tmp_path / "chair", mqtt=mqtt)) as daemon:
        feed = daemon.part(ChairPublisher)
        assert feed is not None and not feed.connected
        # Each control raises if the engine does not answer within its timeout (a hang guard, not a figure):
        # the engine never waits for the broker.
        daemon.controller.submit("start", source="cli", playlist=str(demo_playlist))
        for n in range(20):
            daemon.controller.submit("mark", source="web", text=f"mark {n}")
        assert daemon.status()["state"] == "playing" and daemon.status()["faults"] == []
        assert len(feed.outbox) >= 21   # waiting, in order, for the broker
        cpu = time.process_time()
        threading.Event().wait(2.0)     # a measurement window, not a synchronization
        assert time.process_time() - cpu < 0.4, "the feed spins while the broker is away"


def test_a_feed_that_cannot_start_is_a_fault_and_the_player_plays_on(tmp_path, demo_playlist):  # noqa: F811
    mqtt = {"enabled": True, "username": "room-3", "password_file": str(tmp_path / "missing.password")}
    with Daemon(daemon_config(tmp_path / "chair", mqtt=mqtt)) as daemon:
        assert daemon.part(ChairPublisher) is None
        assert any(f.startswith("station feed: mqtt.password_file: cannot read") for f in daemon.status()["faults"])
        daemon.controller.submit("start", source="cli", playlist=str(demo_playlist))
        assert daemon.status()["state"] == "playing"


def test_a_control_over_mqtt_goes_through_the_real_engine_and_is_logged(broker, tmp_path, demo_playlist,  # noqa: F811
                                                                        watcher_factory):
    mqtt = {"enabled": True, "host": "127.0.0.1", "port": broker.port, "allow_control": True}
    watcher = watcher_factory(broker.port, "session-player/room-3/control/reply")
    with Daemon(daemon_config(tmp_path / "chair", mqtt=mqtt)) as daemon:
        daemon.controller.submit("start", source="cli", playlist=str(demo_playlist))
        assert until(lambda: daemon.part(ChairPublisher).published >= 2 and watcher.link.connected)
        watcher.link.publish("session-player/room-3/control",
                             '{"id": "r1", "action": "mark", "text": "from the station"}')
        watcher.link.publish("session-player/room-3/control", '{"id": "r2", "action": "extend", "minutes": 500}')
        assert watcher.wait_for(lambda: len(watcher.on("session-player/room-3/control/reply")) == 2)
        replies = {r["id"]: r for r in watcher.json_on("session-player/room-3/control/reply")}
        assert replies["r1"] == {"id": "r1", "ok": True, "error": None}
        assert replies["r2"]["ok"] is False and "at most 120" in replies["r2"]["error"]
        records = read_events(session_log_path(tmp_path / "chair", daemon.status()["session_id"]))
        marks = [r for r in records if r["type"] == "marked"]
        assert [(m["source"], m["details"]["text"]) for m in marks] == [("mqtt", "from the station")]
