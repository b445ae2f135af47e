"""Fixtures for the web tests: a real `WebServer` on a free localhost port over a FakeController."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPMessage
from pathlib import Path

import pytest

from player.config import Config, WebConfig
from player.control.fake import FakeController
from player.web import WebServer
from tests.engine.conftest import demo_playlist  # noqa: F401 - a fixture, used by short_playlist


@dataclass
class Reply:
    status: int
    headers: HTTPMessage
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


class Http:
    """A tiny HTTP client for the tests (stdlib only, one connection per request)."""

    def __init__(self, server: WebServer, token: str) -> None:
        self.host = "127.0.0.1"
        self.port = server.port
        self.token = token

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        conn = HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def get(self, path: str, *, auth: bool = True, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers={**(self.auth() if auth else {}), **(headers or {})})

    def control(self, action: str | None = None, *, auth: bool = True, raw: bytes | None = None,
                content_type: str = "application/json", **args: object) -> Reply:
        body = raw if raw is not None else json.dumps({"action": action, **args}).encode()
        headers = {"Content-Type": content_type, **(self.auth() if auth else {})}
        return self.request("POST", "/api/control", body=body, headers=headers)


@pytest.fixture
def controller() -> FakeController:
    return FakeController(room="Room 3")


@pytest.fixture
def web_config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", room="Room 3", web=WebConfig(port=0))


@pytest.fixture
def server(web_config: Config, controller: FakeController):
    with WebServer(web_config, controller, tick_s=0.2) as srv:
        yield srv


@pytest.fixture
def token(server: WebServer, web_config: Config) -> str:
    return web_config.token_path.read_text().strip()


@pytest.fixture
def http(server: WebServer, token: str) -> Http:
    return Http(server, token)


SHORT_PLAYLIST = """\
name: Web test (short)
crossfade: 1s
phases:
  - name: settling
    duration: 3s
    fade_in: 1s
    tracks: [demo-audio/settling/*]
  - name: onset
    duration: 10m
    tracks: [demo-audio/onset/*]
"""


@pytest.fixture
def short_playlist(demo_playlist: Path) -> Path:  # noqa: F811 - the fixture imported above
    """A real playlist on the demo library whose first phase ends after 3 s."""
    path = demo_playlist.parent / "web-short.yaml"
    path.write_text(SHORT_PLAYLIST)
    return path
