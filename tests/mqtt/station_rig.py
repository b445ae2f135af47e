"""Helpers for the station tests: chairs over FakeControllers, a station, and its API read with the token."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from player.config import Config, MqttConfig, WebConfig
from player.control.fake import FakeController
from player.mqtt.publisher import ChairPublisher
from player.station.server import StationServer


def mqtt_settings(port: int, **extra: object) -> dict:
    return {"enabled": True, "host": "127.0.0.1", "port": port, "keepalive_s": 2, "status_interval_s": 1, **extra}


class FakeChair:
    """A chair in this process: a FakeController (the real rules) and the real publisher."""

    def __init__(self, port: int, folder: Path, room: str, **mqtt: object) -> None:
        self.controller = FakeController(room=room)
        config = Config(room=room, data_dir=folder / "data", mqtt=MqttConfig(**mqtt_settings(port, **mqtt)))
        self.feed = ChairPublisher(config, self.controller)
        self.feed.start()

    def close(self) -> None:
        self.feed.close()


def station_config(port: int, folder: Path, **mqtt: object) -> Config:
    return Config(data_dir=folder / "station", web=WebConfig(port=0), mqtt=MqttConfig(**mqtt_settings(port, **mqtt)))


class StationApi:
    """GET the station's API with its token."""

    def __init__(self, station: StationServer, config: Config) -> None:
        self.base = f"http://127.0.0.1:{station.port}"
        self.token = config.token_path.read_text().strip()

    def get(self, path: str, token: str | None = "") -> tuple[int, object]:
        headers = {} if token is None else {"Authorization": f"Bearer {token or self.token}"}
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def chairs(self) -> dict[str, dict]:
        status, body = self.get("/api/chairs")
        assert status == 200, body
        return {c["room"]: c for c in body}

    def events(self, slug: str) -> list[dict]:
        status, body = self.get(f"/api/chairs/{slug}/events")
        return body["events"] if status == 200 else []
