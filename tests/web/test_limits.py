"""Connection limits before authentication, on real sockets, and their pure parts.

Half-sent requests from one address, from several, slow bodies, idle keep-alives and
malformed requests: each is refused or closed by the server, and costs at most one log
line per minute. Source addresses 127.0.0.2-9 stand in for other devices on the LAN.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from dataclasses import replace
from http.client import HTTPConnection

import pytest

from player.config import Config, WebConfig
from player.http.limits import ConnectionGate, Limits, address_key, connection_cap
from player.http.quietlog import OneLineFilter, Tally, Throttle, one_line
from player.web import WebServer

# --- pure parts ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_connection_cap_keeps_the_reserve_free():
    assert connection_cap(64, soft_limit=1024, in_use=30, reserve=128) == 64
    assert connection_cap(64, soft_limit=200, in_use=40, reserve=128) == 32
    assert connection_cap(64, soft_limit=100, in_use=40, reserve=128) == 1  # never 0 or negative


@pytest.mark.parametrize(("host", "key"), [("192.168.1.20", "192.168.1.20"), ("::ffff:10.0.0.7", "10.0.0.7"),
                                           ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
                                           ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
                                           ("fe80::1%eth0", "fe80::/64"), (None, "?"), ("not-an-ip", "not-an-ip")])
def test_address_key_groups_an_ipv6_64(host, key):
    assert address_key(host) == key


class FakeConn:
    def __init__(self, key: str) -> None:
        self.key = key
        self.aborted = None

    def abort(self, why: str) -> None:
        self.aborted = why


def _gate(total: int, per_address: int) -> ConnectionGate:
    return ConnectionGate(Limits(total, per_address, 10.0), Tally(logging.getLogger("test")))


def test_gate_caps_per_address_and_in_total_and_evicts_the_oldest_waiting():
    gate = _gate(total=3, per_address=2)
    a1, a2, a3 = FakeConn("a"), FakeConn("a"), FakeConn("a")
    assert gate.admit(a1) is None and gate.admit(a2) is None
    assert gate.admit(a3) == "per_address"
    b1 = FakeConn("b")
    assert gate.admit(b1) is None and gate.open_count == 3
    gate.head_received(a1)  # a1 is a real request now: never evicted
    c1 = FakeConn("c")
    assert gate.admit(c1) is None  # full, but a2 still waits for its head: dropped for c1
    assert a2.aborted == "evicted" and a1.aborted is None and gate.open_count == 3
    gate.head_received(b1)
    gate.head_received(c1)
    assert gate.admit(FakeConn("d")) == "full"  # nobody waiting: refuse
    gate.release(a1)
    gate.release(a1)  # idempotent
    assert gate.admit(FakeConn("a")) is None


def test_tally_logs_the_first_then_one_summary_per_window(caplog):
    clock = FakeClock()
    scheduled = []
    tally = Tally(logging.getLogger("test.tally"), lambda delay, fn: scheduled.append((delay, fn)),
                  window_s=60, clock=clock)
    with caplog.at_level(logging.WARNING, "test.tally"):
        for _ in range(1000):
            tally.count("per_address")
        clock.now += 10
        tally.count("header_timeout")
        assert len(caplog.records) == 1 and len(scheduled) == 1
        clock.now += 50
        scheduled[0][1]()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["web connections 1 refused (too many from one address)",
                     "web connections 1 closed (no request head in time), 999 refused (too many from one address) "
                     "in the last 60 s"]
    assert tally.totals == {"per_address": 1000, "header_timeout": 1}


def test_one_line_filter_drops_tracebacks_flattens_and_throttles():
    clock = FakeClock()
    filt = OneLineFilter(Throttle(60, clock))
    logger = logging.getLogger("test.aiohttp.server")
    try:
        raise ValueError("Invalid method encountered:\n\n  b'GARB\x1bAGE'\n    ^")
    except ValueError as exc:
        error = exc
    records = [logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "Error handling request from %s",
                                 ("10.0.0.9",), (type(error), error, error.__traceback__)) for _ in range(3)]
    assert filt.filter(records[0]) and not filt.filter(records[1])
    assert records[0].exc_info is None and "\n" not in records[0].getMessage()
    assert records[0].getMessage() == ("Error handling request from 10.0.0.9: ValueError: Invalid method "
                                       "encountered: b'GARB\\x1bAGE' ^")
    clock.now += 61
    assert filt.filter(records[2]) and records[2].getMessage().endswith("(and 1 more like it in the last 60 s)")


def test_one_line_caps_length():
    assert len(one_line("x" * 1000)) == 160


# --- real sockets ----------------------------------------------------------------------

HALF_HEAD = b"GET /api/status HTTP/1.1\r\nHost: player\r\nX-Slow: "


def _config(tmp_path, **web) -> Config:
    return Config(data_dir=tmp_path / "data", room="Room 3", web=replace(WebConfig(port=0), **web))


@pytest.fixture
def make_server(tmp_path, controller):
    servers = []

    def make(**web) -> WebServer:
        server = WebServer(_config(tmp_path, **web), controller, tick_s=0.2)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def _half_open(server: WebServer, source: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10, source_address=(source, 0))
    s.sendall(HALF_HEAD)
    return s


def _is_closed_by_server(s: socket.socket, timeout_s: float = 10) -> bool:
    """True when the server closed or reset `s` within `timeout_s` (it never answers a half request)."""
    s.settimeout(timeout_s)
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _wait_for(predicate, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _status(server: WebServer, token: str, source: str = "127.0.0.1") -> int:
    conn = HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", "/api/status", headers={"Authorization": f"Bearer {token}"})
        return conn.getresponse().status
    finally:
        conn.close()


def _token(server: WebServer) -> str:
    return server._config.token_path.read_text().strip()


def test_one_address_gets_its_share_and_no_more(make_server):
    server = make_server(max_connections=20, max_connections_per_address=4, header_timeout_s=60)
    held = [_half_open(server, "127.0.0.2") for _ in range(4)]
    extra = _half_open(server, "127.0.0.2")
    assert _is_closed_by_server(extra)
    assert all(not _is_closed_by_server(s, 0.2) for s in held)
    assert _status(server, _token(server)) == 200  # another address is served
    assert server.refused["per_address"] == 1
    for s in held + [extra]:
        s.close()


def test_a_full_server_drops_the_oldest_half_request_for_a_newcomer(make_server):
    server = make_server(max_connections=6, max_connections_per_address=3, header_timeout_s=60)
    held = [_half_open(server, src) for src in ("127.0.0.2", "127.0.0.3") for _ in range(3)]
    assert _wait_for(lambda: server.connections == 6)
    assert _status(server, _token(server), "127.0.0.4") == 200
    assert _is_closed_by_server(held[0])  # the oldest waiting one made room
    assert server.refused["evicted"] == 1
    for s in held:
        s.close()


def test_a_request_head_must_arrive_in_time(make_server):
    server = make_server(header_timeout_s=1)
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    slow = _half_open(server, "127.0.0.1")
    assert _is_closed_by_server(silent) and _is_closed_by_server(slow)
    assert _wait_for(lambda: server.connections == 0)
    assert server.refused["header_timeout"] == 2


def test_a_slow_body_gets_408_and_is_closed(make_server):
    server = make_server(header_timeout_s=1)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"POST /api/control HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
              b"Authorization: Bearer " + _token(server).encode() + b"\r\nContent-Length: 100\r\n\r\n{\"act")
    reply = s.makefile("rb")
    assert reply.readline().startswith(b"HTTP/1.1 408 ")
    assert b"did not arrive in time" in reply.read()  # and closed: read() ends


def test_without_the_token_no_connection_is_kept_alive(make_server):
    server = make_server()
    conn = HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/api/status")
    reply = conn.getresponse()
    assert reply.status == 401 and reply.getheader("Connection") == "close"
    reply.read()
    assert _wait_for(lambda: server.connections == 0)


def test_an_idle_keep_alive_is_closed(make_server):
    server = make_server(idle_timeout_s=1)
    conn = HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/api/status", headers={"Authorization": f"Bearer {_token(server)}"})
    reply = conn.getresponse()
    assert reply.status == 200 and reply.getheader("Connection") != "close"
    reply.read()
    assert _is_closed_by_server(conn.sock)


def test_malformed_requests_cost_one_line_not_a_traceback_each(make_server, caplog):
    server = make_server()
    with caplog.at_level(logging.DEBUG, "aiohttp"):
        logging.getLogger("aiohttp").setLevel(logging.INFO)
        try:
            for i in range(50):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                s.sendall(b"GET /\x00" + str(i).encode() + b" HTTP/1.1\r\nHost: \xff\r\n\r\n"
                          if i % 2 else b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
                assert s.makefile("rb").readline()[:12] in (b"HTTP/1.1 400", b"HTTP/1.0 400")
                s.close()
        finally:
            logging.getLogger("aiohttp").setLevel(logging.NOTSET)
    lines = [r for r in caplog.records if r.name.startswith("aiohttp")]
    assert 1 <= len(lines) <= 2, [r.getMessage() for r in lines]
    assert all(r.exc_info is None and "\n" not in r.getMessage() and len(r.getMessage()) < 400 for r in lines)


@pytest.mark.parametrize(("body", "message"), [
    (b"[" * 8000 + b"]" * 8000, "body is not valid JSON"),
    (b'{"action": "extend", "minutes": ' + b"9" * 5000 + b"}", "a number with too many digits"),
    (b'{"action": "mark", "text": ' + b"[" * 20 + b"]" * 20 + b"}", "nests deeper than 8 levels"),
    (b'{"action": "extend", "minutes": 1e999}', "minutes must be a number"),
    (b'{"action": "mark", "text": "\xff"}', "body is not valid JSON"),
], ids=["deep", "digits", "nested", "inf", "not-utf8"])
def test_hostile_json_gets_400_not_500(http, body, message):
    reply = http.control(raw=body)
    assert reply.status == 400, reply.body
    assert message in reply.json()["error"]


def test_a_404_never_shows_the_data_path(http, web_config):
    reply = http.get("/api/sessions/20260101-090000-room-3/report")
    assert reply.status == 404
    assert str(web_config.data_dir) not in reply.body.decode()
    assert json.loads(reply.body)["error"].startswith("no session '20260101-090000-room-3' in <data_dir>/sessions")
