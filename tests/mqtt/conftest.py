"""Fixtures for the MQTT tests: a real Mosquitto on a free localhost port, and a plain client to watch it."""

from __future__ import annotations

import json
import threading
import time

import pytest

from player.config import MqttConfig
from player.mqtt.client import MqttLink
from tests.support.broker import Broker, missing_broker

WAIT_S = 15.0


@pytest.fixture
def broker(tmp_path):
    why = missing_broker()
    if why:
        pytest.skip(why)
    with Broker(tmp_path / "broker") as running:
        yield running


def until(predicate, timeout_s: float = WAIT_S, every_s: float = 0.02) -> bool:
    """Poll `predicate` (for state with no event to wait on, e.g. a connection flag) until true or timeout."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)
    return True


class Watcher:
    """Subscribes to a topic filter and keeps every message; `wait_for` blocks on a condition."""

    def __init__(self, port: int, topic: str, **mqtt: object) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        self.link = MqttLink(MqttConfig(host="127.0.0.1", port=port, keepalive_s=5, **mqtt),
                             f"watcher-{id(self)}")
        self.link.on_connect = lambda: self.link.subscribe(topic)
        self.link.on_message = self._got
        self.link.start()

    def _got(self, topic: str, payload: bytes, retained: bool) -> None:
        with self._cond:
            self.messages.append((topic, payload))
            self._cond.notify_all()

    def on(self, topic: str) -> list[bytes]:
        with self._cond:
            return [p for t, p in self.messages if t == topic]

    def json_on(self, topic: str) -> list:
        return [json.loads(p) for p in self.on(topic)]

    def wait_for(self, predicate, timeout_s: float = WAIT_S) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout_s)

    def close(self) -> None:
        self.link.close()


@pytest.fixture
def watcher_factory():
    made: list[Watcher] = []

    def make(port: int, topic: str = "#", **mqtt: object) -> Watcher:
        watcher = Watcher(port, topic, **mqtt)
        made.append(watcher)
        return watcher

    yield make
    for w in made:
        w.close()
