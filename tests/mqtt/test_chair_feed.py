"""The chair's feed on a real Mosquitto: online/offline, retained status, every event in order, controls."""

from __future__ import annotations

import json
import os
import threading

from player.background import io_class
from player.config import Config, MqttConfig
from player.control.fake import FakeController
from player.mqtt.publisher import ChairPublisher
from tests.mqtt.conftest import WAIT_S, until


def chair(broker, tmp_path, room: str = "Room 3", **mqtt: object) -> tuple[FakeController, ChairPublisher]:
    controller = FakeController(room=room)
    settings = {"enabled": True, "host": "127.0.0.1", "port": broker.port, "keepalive_s": 2,
                "status_interval_s": 1, **mqtt}
    config = Config(room=room, data_dir=tmp_path / "data", mqtt=MqttConfig(**settings))
    return controller, ChairPublisher(config, controller)


def test_online_status_and_events_in_order_then_offline_on_close(broker, tmp_path, watcher_factory):
    watcher = watcher_factory(broker.port, "session-player/#")
    controller, feed = chair(broker, tmp_path)
    feed.start()
    try:
        assert watcher.wait_for(lambda: watcher.on("session-player/room-3/online") == [b"online"])
        controller.submit("start", source="button", playlist="Ketamine 40 min")
        controller.submit("mark", source="web", text="BP 128/82")
        controller.submit("pause", source="cli")
        assert watcher.wait_for(lambda: any(r["type"] == "paused"
                                            for r in watcher.json_on("session-player/room-3/events")))
        events = watcher.json_on("session-player/room-3/events")
        assert [r["seq"] for r in events] == sorted(r["seq"] for r in events)
        assert {r["session_id"] for r in events} == {controller.status()["session_id"]}
        assert all(r["boot"] == feed.boot for r in events)
        assert watcher.wait_for(lambda: any(s["state"] == "paused"
                                            for s in watcher.json_on("session-player/room-3/status")))
    finally:
        feed.close()
    assert watcher.wait_for(lambda: watcher.on("session-player/room-3/online")[-1:] == [b"offline"])


def test_retained_status_reaches_a_late_subscriber(broker, tmp_path, watcher_factory):
    controller, feed = chair(broker, tmp_path, room="Salle Été / 2")
    feed.start()
    try:
        controller.submit("start", source="button", playlist="Ketamine 40 min")
        early = watcher_factory(broker.port, "session-player/salle-ete-2/status")
        assert early.wait_for(lambda: any(s["state"] == "playing" for s in early.json_on(
            "session-player/salle-ete-2/status")))
        late = watcher_factory(broker.port, "session-player/+/status")
        assert late.wait_for(lambda: late.on("session-player/salle-ete-2/status"))
        assert json.loads(late.on("session-player/salle-ete-2/status")[0])["room"] == "Salle Été / 2"
    finally:
        feed.close()


def test_the_feed_is_built_and_sent_at_background_priority(broker, tmp_path, watcher_factory):
    """Station publishing is background work (player/background.py): nice 19, I/O idle, off the engine's thread."""
    watcher = watcher_factory(broker.port, "session-player/room-3/status")
    controller = FakeController(room="Room 3")
    seen = []

    def status() -> dict:
        tid = threading.get_native_id()
        seen.append((os.getpriority(os.PRIO_PROCESS, tid), io_class(tid)))
        return controller.status()

    config = Config(room="Room 3", data_dir=tmp_path / "data", mqtt=MqttConfig(
        enabled=True, host="127.0.0.1", port=broker.port, keepalive_s=2, status_interval_s=1))
    feed = ChairPublisher(config, controller, status=status)
    feed.start()
    try:
        assert watcher.wait_for(lambda: watcher.on("session-player/room-3/status"))
    finally:
        feed.close()
    assert seen and set(seen) == {(19, 3)}
    mine = threading.get_native_id()
    assert io_class(mine) != 3   # the thread that started the feed kept its own priority


def wait_online(feed: ChairPublisher) -> None:
    """Until the chair has said "online" (its control subscription goes before that)."""
    assert until(lambda: feed.connected and feed.published > 0)


def _control(watcher, link_owner, payload: dict) -> dict:
    topic = "session-player/room-3/control"
    link_owner.link.publish(topic, json.dumps(payload))
    assert watcher.wait_for(lambda: any(r["id"] == payload.get("id")
                                        for r in watcher.json_on(topic + "/reply")), WAIT_S)
    return next(r for r in watcher.json_on(topic + "/reply") if r["id"] == payload.get("id"))


def test_controls_refused_unless_allowed_and_answered_with_the_request_id(broker, tmp_path, watcher_factory):
    watcher = watcher_factory(broker.port, "session-player/room-3/control/reply")
    controller, feed = chair(broker, tmp_path)
    feed.start()
    try:
        wait_online(feed)
        controller.submit("start", source="button", playlist="Ketamine 40 min")
        reply = _control(watcher, watcher, {"id": "a1", "action": "pause"})
        assert reply == {"id": "a1", "ok": False,
                         "error": "controls over MQTT are off on this chair (mqtt.allow_control: false)"}
        assert controller.status()["state"] == "playing"
    finally:
        feed.close()


def test_allowed_controls_go_through_the_same_validation(broker, tmp_path, watcher_factory):
    watcher = watcher_factory(broker.port, "session-player/room-3/control/reply")
    controller, feed = chair(broker, tmp_path, allow_control=True)
    feed.start()
    try:
        wait_online(feed)
        controller.submit("start", source="button", playlist="Ketamine 40 min")
        assert _control(watcher, watcher, {"id": 7, "action": "pause"}) == {"id": 7, "ok": True, "error": None}
        assert controller.status()["state"] == "paused"
        bad = _control(watcher, watcher, {"id": "m", "action": "mark", "text": ""})
        assert bad["ok"] is False and "needs text" in bad["error"]
        odd = _control(watcher, watcher, {"id": "x", "action": "dance"})
        assert odd["ok"] is False and "unknown action" in odd["error"]
        nested = _control(watcher, watcher, {"id": "n", "action": "mark", "text": {"a": 1}})
        assert nested["ok"] is False and "plain values" in nested["error"]
        path = _control(watcher, watcher, {"id": "p", "action": "load", "playlist": "/etc/passwd"})
        assert path["ok"] is False
        for n, value in enumerate((10 ** 400, float("inf"), float("nan"))):      # one number check for every edge
            huge = _control(watcher, watcher, {"id": f"h{n}", "action": "extend", "minutes": value})
            assert huge["ok"] is False and "minutes must be a number" in huge["error"], huge
    finally:
        feed.close()
