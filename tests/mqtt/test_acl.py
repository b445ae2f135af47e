"""The shipped Mosquitto set-up (docs/mosquitto/: the listener with TLS and the ACL) on a real broker:
each chair writes only its own room's topics, the station reads them all, over TLS with a clinic CA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from player.config import Config, MqttConfig, TlsConfig, WebConfig
from player.control.fake import FakeController
from player.mqtt.client import MqttLink
from player.mqtt.publisher import ChairPublisher
from player.station.server import StationServer
from tests.mqtt.conftest import until
from tests.mqtt.station_rig import StationApi
from tests.support.broker import Broker, make_clinic_ca, missing_broker, write_passwords

DOCS = Path(__file__).resolve().parents[2] / "docs" / "mosquitto"
PASSWORDS = {"room-3": "pw-room-3-secret", "room-4": "pw-room-4-secret", "station": "pw-station-secret"}


@pytest.fixture
def clinic_broker(tmp_path):
    """docs/mosquitto/session-player.conf with its /etc paths pointed at this test's files."""
    why = missing_broker()
    if why:
        pytest.skip(why)
    certs = make_clinic_ca(tmp_path / "certs")
    passwd = write_passwords(tmp_path / "session-player.passwd", PASSWORDS)
    text = (DOCS / "session-player.conf").read_text()
    for shipped, here in (("/etc/mosquitto/session-player.passwd", passwd),
                          ("/etc/mosquitto/session-player.acl", DOCS / "session-player.acl"),
                          ("/etc/mosquitto/certs/clinic-ca.crt", certs["ca"]),
                          ("/etc/mosquitto/certs/broker.crt", certs["cert"]),
                          ("/etc/mosquitto/certs/broker.key", certs["key"])):
        assert shipped in text
        text = text.replace(shipped, str(here))
    assert "listener 8883\n" in text
    text = text.replace("listener 8883\n", "listener PORT 127.0.0.1\n")
    with Broker(tmp_path / "broker", listeners=text) as broker:
        yield broker, certs["ca"]


def mqtt_for(user: str, port: int, ca: Path, folder: Path, **extra: object) -> MqttConfig:
    password = folder / f"{user}.password"
    password.write_text(PASSWORDS[user] + "\n")
    password.chmod(0o600)
    return MqttConfig(enabled=True, host="localhost", port=port, tls=TlsConfig(ca_file=ca), username=user,
                      password_file=password, keepalive_s=5, status_interval_s=1, **extra)


def test_each_chair_writes_only_its_own_room_and_the_station_reads_all(clinic_broker, tmp_path):
    broker, ca = clinic_broker
    station_cfg = Config(data_dir=tmp_path / "station", web=WebConfig(port=0),
                         mqtt=mqtt_for("station", broker.port, ca, tmp_path))
    controller = FakeController(room="Room 3")
    honest = ChairPublisher(Config(room="Room 3", data_dir=tmp_path / "c3",
                                   mqtt=mqtt_for("room-3", broker.port, ca, tmp_path)), controller)
    # A chair logged in as room-3 but claiming to be Room 4: every one of its messages is refused.
    impostor = ChairPublisher(Config(room="Room 4", data_dir=tmp_path / "c4",
                                     mqtt=mqtt_for("room-3", broker.port, ca, tmp_path)),
                              FakeController(room="Room 4"))
    forger = MqttLink(mqtt_for("room-3", broker.port, ca, tmp_path), "forger")
    with StationServer(station_cfg, tick_s=0.5, client_id="station-acl") as station:
        api = StationApi(station, station_cfg)
        honest.start()
        impostor.start()
        forger.start()
        try:
            controller.submit("start", source="button", playlist="Ketamine 40 min")
            assert until(lambda: api.chairs().get("Room 3", {}).get("status", {}).get("state") == "playing")
            assert until(lambda: forger.connected)
            forger.publish("session-player/room-4/status", json.dumps({"room": "Room 4", "state": "playing"}),
                           retain=True)
            forger.publish("session-player/room-4/online", "online", retain=True)
            controller.submit("mark", source="web", text="after the forgery")
            assert until(lambda: any(e["type"] == "marked" for e in api.events("room-3")))
            assert station.board.chairs.keys() == {"room-3"}, "a message as another room reached the station"
            assert set(api.chairs()) == {"Room 3"}
        finally:
            forger.close()
            impostor.close()
            honest.close()


def test_a_chair_cannot_read_another_chair(clinic_broker, tmp_path):
    broker, ca = clinic_broker
    controller = FakeController(room="Room 4")
    chair = ChairPublisher(Config(room="Room 4", data_dir=tmp_path / "c4",
                                  mqtt=mqtt_for("room-4", broker.port, ca, tmp_path)), controller)
    snoop = MqttLink(mqtt_for("room-3", broker.port, ca, tmp_path), "snoop")
    got: list[str] = []
    snoop.on_connect = lambda: snoop.subscribe("session-player/#")
    snoop.on_message = lambda topic, payload, retained: got.append(topic)
    snoop.start()
    chair.start()
    try:
        controller.submit("start", source="button", playlist="Ketamine 40 min")
        assert until(lambda: chair.published >= 3 and snoop.connected)
        watcher = MqttLink(mqtt_for("station", broker.port, ca, tmp_path), "station-watch")
        seen: list[str] = []
        watcher.on_connect = lambda: watcher.subscribe("session-player/#")
        watcher.on_message = lambda topic, payload, retained: seen.append(topic)
        watcher.start()
        assert until(lambda: "session-player/room-4/status" in seen)
        watcher.close()
        assert got == []
    finally:
        chair.close()
        snoop.close()


def test_a_chair_names_neither_its_room_nor_a_script_link_and_cannot_flood_the_station(clinic_broker, tmp_path):
    """Through the shipped ACL, chair room-4 writes its own topic only, but says what it likes there."""
    broker, ca = clinic_broker
    station_cfg = Config(data_dir=tmp_path / "station", web=WebConfig(port=0),
                         mqtt=mqtt_for("station", broker.port, ca, tmp_path))
    rogue = MqttLink(mqtt_for("room-4", broker.port, ca, tmp_path), "rogue")
    with StationServer(station_cfg, tick_s=0.5, client_id="station-trust") as station:
        api = StationApi(station, station_cfg)
        rogue.start()
        try:
            assert until(lambda: rogue.connected and station.broker_connected)
            rogue.publish("session-player/room-4/status", json.dumps(
                {"room": "Room 3", "state": "playing", "web_url": "javascript:alert(document.cookie)"}))
            assert until(lambda: "room-4" in station.board.chairs)
            tile = next(iter(api.chairs().values()))
            assert tile["room"] == "room-4" and tile["url"] is None, tile
            rogue.publish("session-player/room-4/status", json.dumps({"state": "idle", "pad": "x" * (20 << 20)}))
            rogue.publish("session-player/room-4/status", json.dumps({"room": "Room 4", "state": "paused"}))
            assert until(lambda: api.chairs().get("Room 4", {}).get("status", {}).get("state") == "paused")
            assert station.board.ignored == 0, "the 20 MB status reached the station (message_size_limit)"
        finally:
            rogue.close()
