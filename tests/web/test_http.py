"""HTTP tests against the real server on localhost (aiohttp on its own thread, real sockets)."""

from __future__ import annotations

import json
import os
import socket
import threading
from http.client import HTTPConnection

import pytest

from player.config import Config, WebConfig
from player.control.fake import FakeController
from player.http.app import COOKIE_NAME
from player.web import WebServer
from tests.support.records_factory import SESSION_ID, realistic_session, write_session_log
from tests.web.conftest import Http, Reply

PROTECTED = [("GET", "/"), ("GET", "/static/app.js"), ("GET", "/api/status"), ("GET", "/api/events"),
             ("POST", "/api/control"), ("GET", "/api/sessions"), ("GET", f"/api/sessions/{SESSION_ID}/report")]


# --- auth --------------------------------------------------------------------------

def test_healthz_needs_no_token(http):
    reply = http.get("/healthz", auth=False)
    assert reply.status == 200 and reply.json() == {"ok": True}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_other_endpoint_needs_the_token(http, controller, method, path):
    body = json.dumps({"action": "start"}).encode() if method == "POST" else None
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": "Basic abc"},
                    {"Cookie": f"{COOKIE_NAME}=forged"}):
        reply = http.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
        assert reply.status == 401, (headers, reply.body)
    assert controller.submitted == []
    assert controller.status()["state"] == "idle"


def test_api_401_says_how_to_authenticate(http):
    reply = http.get("/api/status", auth=False)
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert "web-token" in reply.json()["error"]


def test_page_without_cookie_shows_the_login_form(http):
    reply = http.get("/", auth=False)
    assert reply.status == 401
    assert b'action="/login"' in reply.body and b'class="failed shown"' not in reply.body
    assert b'class="failed shown"' in http.get("/?login=failed", auth=False).body


def test_wrong_tokens_are_rate_limited_per_address(http, controller):
    for _ in range(10):
        assert http.get("/api/status", headers={"Authorization": "Bearer nope"}, auth=False).status == 401
    limited = http.get("/api/status")  # even the right token waits now
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "try again" in limited.json()["error"]
    assert http.control("start").status == 429
    assert controller.submitted == []
    assert http.get("/healthz", auth=False).status == 200


def test_missing_credentials_are_not_counted_as_failures(http):
    for _ in range(15):
        assert http.get("/", auth=False).status == 401
    assert http.get("/api/status").status == 200


def _login(http, token: str) -> Reply:
    return http.request("POST", "/login", body=f"token={token}",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_login_form_sets_a_strict_httponly_cookie_that_works(http, token):
    reply = _login(http, token)
    assert reply.status == 303 and reply.headers["Location"] == "/"
    set_cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert token not in set_cookie
    cookie = set_cookie.split(";")[0]
    page = http.get("/", auth=False, headers={"Cookie": cookie})
    assert page.status == 200 and b"/static/app.js" in page.body
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert http.get("/api/status", auth=False, headers={"Cookie": cookie}).status == 200
    assert http.get("/static/app.js", auth=False, headers={"Cookie": cookie}).status == 200


def test_login_with_a_wrong_token_goes_back_to_the_form_and_counts(http):
    reply = _login(http, "guess")
    assert reply.status == 303 and reply.headers["Location"] == "/?login=failed"
    assert "Set-Cookie" not in reply.headers
    for _ in range(9):
        _login(http, "guess")
    assert _login(http, http.token).status == 429


def test_stale_cookie_is_cleared(http):
    reply = http.get("/", auth=False, headers={"Cookie": f"{COOKIE_NAME}=old"})
    assert reply.status == 401
    assert f'{COOKIE_NAME}=""' in reply.headers["Set-Cookie"]


def test_logout_clears_the_cookie(http):
    reply = http.request("POST", "/logout", headers=http.auth())
    assert reply.status == 303 and f'{COOKIE_NAME}=""' in reply.headers["Set-Cookie"]


# --- status and controls -----------------------------------------------------------

def test_status_has_room_cap_and_allowed_controls(http):
    status = http.get("/api/status").json()
    assert status["room"] == "Room 3" and status["cap_db"] == -6.0 and status["state"] == "idle"
    assert "start" in status["allowed"] and "pause" not in status["allowed"]
    assert http.get("/api/status").headers["Cache-Control"] == "no-store"


# (action, arguments, state it needs first, expected state after)
ACTIONS = [
    ("load", {}, "idle", "ready"),  # by library name: tests/web/test_library_names.py
    ("start", {}, "idle", "playing"),
    ("pause", {}, "playing", "paused"),
    ("resume", {}, "paused", "playing"),
    ("next", {}, "playing", "playing"),
    ("advance", {}, "playing", "playing"),
    ("extend", {"minutes": 5}, "playing", "playing"),
    ("mark", {"text": "BP 128/82"}, "playing", "playing"),
    ("volume", {"delta_db": -3}, "playing", "playing"),
    ("volume", {"level_db": -20}, "idle", "idle"),
    ("stop", {}, "playing", "ended"),
    ("emergency_stop", {}, "paused", "ended"),
]


@pytest.mark.parametrize(("action", "args", "before", "after"), ACTIONS)
def test_every_action_goes_to_the_controller_as_web(http, controller, action, args, before, after):
    if before != "idle":
        controller.submit("start", source="cli")
    if before == "paused":
        controller.submit("pause", source="cli")
    reply = http.control(action, **args)
    assert reply.status == 200, reply.body
    assert reply.json()["status"]["state"] == after
    assert controller.submitted[-1][0] == action and controller.submitted[-1][1] == "web"
    assert controller.submitted[-1][2] == {k: float(v) if isinstance(v, int) else v for k, v in args.items()}


def test_advance_moves_the_phase(http, controller):
    http.control("start")
    assert http.control("advance").json()["status"]["phase"] == "onset"


def test_refused_by_the_state_is_409_with_the_reason(http, controller):
    reply = http.control("resume")
    assert reply.status == 409
    assert "cannot resume" in reply.json()["error"]
    assert reply.json()["status"]["state"] == "idle"
    assert controller.submitted == []


@pytest.mark.parametrize(("raw", "content_type", "message"), [
    (b"{not json", "application/json", "not valid JSON"),
    (b"\xff\xfe", "application/json", "not valid JSON"),
    (b'["pause"]', "application/json", "JSON object"),
    (b"{}", "application/json", 'missing "action"'),
    (b'{"action": 5}', "application/json", 'missing "action"'),
    (b'{"action": "self_destruct"}', "application/json", "unknown action 'self_destruct'"),
    (b'{"action": "extend", "minutes": "lots"}', "application/json", "minutes must be a number"),
    (b'{"action": "extend", "minutes": 1000}', "application/json", "at most 120"),
    (b'{"action": "extend", "minutes": 1' + b"0" * 400 + b"}", "application/json", "minutes must be a number"),
    (b'{"action": "volume", "level_db": -1' + b"0" * 400 + b"}", "application/json", "level_db must be a number"),
    (b'{"action": "calmer", "minutes": 1e400}', "application/json", "minutes must be a number"),
    (b'{"action": "calmer", "minutes": 1e308}', "application/json", "at most 240"),
    (b'{"action": "volume", "delta_db": NaN}', "application/json", "delta_db must be a number"),
    (b'{"action": "observe", "kind": "hr", "value": 1' + b"0" * 400 + b"}", "application/json", "finite number"),
    (b'{"action": "mark"}', "application/json", "a mark needs text"),
    (b'{"action": "mark", "text": "a\\nb"}', "application/json", "one line"),
    (b'{"action": "volume", "delta_db": 1, "level_db": -3}', "application/json", "exactly one"),
    (b'{"action": "pause", "force": true}', "application/json", "pause takes no force"),
    (b'{"action": "pause"}', "text/plain", "Content-Type: application/json"),
    (b"action=pause", "application/x-www-form-urlencoded", "Content-Type: application/json"),
])
def test_bad_control_requests_are_400_with_a_clear_message(http, controller, raw, content_type, message):
    reply = http.control(raw=raw, content_type=content_type)
    assert reply.status == 400, reply.body
    assert message in reply.json()["error"]
    assert controller.submitted == []


def test_oversized_body_is_refused(http, controller):
    body = json.dumps({"action": "mark", "text": "x" * (17 * 1024)}).encode()
    reply = http.control(raw=body)
    assert reply.status == 400 and "16 KiB" in reply.json()["error"]
    assert controller.submitted == []


def test_oversized_chunked_body_is_refused(server, token, controller):
    """No Content-Length: the limit must hold while reading, too."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        chunk = b'{"action": "mark", "text": "' + b"x" * 20000 + b'"}'
        sock.sendall(b"POST /api/control HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + token.encode() + b"\r\nTransfer-Encoding: chunked\r\n"
                     b"Connection: close\r\n\r\n" + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"16 KiB" in answer
    assert controller.submitted == []


class SlowController(FakeController):
    def submit(self, action, *, source, timeout_s=10.0, **args):
        raise TimeoutError("engine busy")


def test_engine_timeout_is_503(tmp_path):
    config = Config(data_dir=tmp_path, web=WebConfig(port=0))
    with WebServer(config, SlowController()) as server:
        reply = Http(server, config.token_path.read_text().strip()).control("start")
    assert reply.status == 503 and "did not answer" in reply.json()["error"]


# --- live events -------------------------------------------------------------------

class SseReader:
    """Reads a Server-Sent-Events stream into (event, data) pairs on a background thread."""

    def __init__(self, http_client, path: str = "/api/events") -> None:
        self.conn = HTTPConnection(http_client.host, http_client.port, timeout=10)
        self.conn.request("GET", path, headers=http_client.auth())
        self.response = self.conn.getresponse()
        self.messages: list[tuple[str, dict]] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        kind, data = "message", ""
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    with self.changed:
                        self.messages.append((kind, json.loads(data)))
                        self.changed.notify_all()
                    kind, data = "message", ""
        except (OSError, ValueError, AttributeError):
            pass  # closed under the reader (http.client drops its file object)

    def wait_for(self, predicate, timeout: float = 10.0) -> tuple[str, dict]:
        with self.changed:
            found = self.changed.wait_for(lambda: next((m for m in self.messages if predicate(m)), None), timeout)
        assert found, f"not received; got {[m[0] for m in self.messages]}"
        return found

    def wait_for_more(self, count: int, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.messages) > count, timeout)

    def close(self) -> None:
        self.conn.close()


def test_sse_stream_delivers_hello_events_and_status(http, server, controller):
    reader = SseReader(http)
    try:
        assert reader.response.status == 200
        assert reader.response.headers["Content-Type"].startswith("text/event-stream")
        reader.wait_for(lambda m: m[0] == "hello")
        reader.wait_for(lambda m: m[0] == "status" and m[1]["state"] == "idle")
        controller.submit("start", source="button")
        event = reader.wait_for(lambda m: m[0] == "event" and m[1]["type"] == "session_started")[1]
        assert event["source"] == "button" and event["description"]
        reader.wait_for(lambda m: m[0] == "status" and m[1]["state"] == "playing")
        controller.set_state_for_test(phase="peak", phase_index=1)
        reader.wait_for(lambda m: m[0] == "status" and m[1]["phase"] == "peak")
        seen = len(reader.messages)                  # the periodic status tick, with nothing happening
        with reader.changed:
            assert reader.changed.wait_for(lambda: any(m[0] == "status" for m in reader.messages[seen:]), 10)
    finally:
        reader.close()


def test_sse_backlog_is_sent_to_a_new_page(http, controller):
    first = SseReader(http)
    try:
        first.wait_for(lambda m: m[0] == "status")
        controller.submit("start", source="button")
        controller.submit("mark", source="button", text="patient spoke")
        first.wait_for(lambda m: m[0] == "event" and m[1]["type"] == "marked")
    finally:
        first.close()
    second = SseReader(http)
    try:
        hello = second.wait_for(lambda m: m[0] == "hello")[1]
        assert [r["type"] for r in hello["backlog"]] == ["session_started", "state_changed", "phase_started", "marked"]
    finally:
        second.close()


def test_sse_disconnect_frees_the_seat(http, server):
    readers = [SseReader(http) for _ in range(3)]
    for r in readers:
        r.wait_for(lambda m: m[0] == "status")
    assert server.live_clients == 3
    for r in readers:
        r.close()
    done = threading.Event()

    def poll() -> None:
        while server.live_clients and not done.wait(0.05):
            pass
        done.set()
    threading.Thread(target=poll, daemon=True).start()
    assert done.wait(10) and server.live_clients == 0


# --- reports -----------------------------------------------------------------------

def test_sessions_and_reports(http, web_config):
    write_session_log(web_config.data_dir, realistic_session().records)
    rows = http.get("/api/sessions").json()["sessions"]
    assert [r["id"] for r in rows] == [SESSION_ID]
    base = f"/api/sessions/{SESSION_ID}/report"
    html = http.get(base + "?format=html")
    assert html.status == 200 and html.headers["Content-Type"].startswith("text/html")
    assert b"Peak" in html.body and b"<b>&amp;</b>" not in html.body  # marker text is escaped
    assert http.get(base).headers["Content-Type"].startswith("text/html")
    csv = http.get(base + "?format=csv")
    assert csv.status == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert f"{SESSION_ID}.csv" in csv.headers["Content-Disposition"]
    report = http.get(base + "?format=json").json()
    assert report["session_id"] == SESSION_ID


def test_reports_render_at_background_priority_and_controls_keep_theirs(http, web_config, controller, monkeypatch):
    """Rendering a report is background work (player/background.py): nice 19, I/O idle; controls are not."""
    from player.background import io_class
    from player.reports import report

    seen = {}
    render = report.render_report

    def spying(*args, **kwargs):
        tid = threading.get_native_id()
        seen["report"] = (os.getpriority(os.PRIO_PROCESS, tid), io_class(tid))
        return render(*args, **kwargs)

    submit = controller.submit

    def submitting(*args, **kwargs):
        tid = threading.get_native_id()
        seen["control"] = (os.getpriority(os.PRIO_PROCESS, tid), io_class(tid))
        return submit(*args, **kwargs)

    monkeypatch.setattr(report, "render_report", spying)
    monkeypatch.setattr(controller, "submit", submitting)
    write_session_log(web_config.data_dir, realistic_session().records)
    assert http.get(f"/api/sessions/{SESSION_ID}/report?format=csv").status == 200
    assert http.control("volume", level_db=-20).status == 200
    assert seen["report"] == (19, 3)
    assert seen["control"][0] < 19 and seen["control"][1] != 3   # staff's controls never wait behind a report


@pytest.mark.parametrize("path", ["/api/sessions/no-such-session/report", "/api/sessions/..%2F..%2Fetc/report",
                                  "/api/sessions/.hidden/report"])
def test_unknown_or_malformed_session_is_404(http, path):
    reply = http.get(path)
    assert reply.status == 404


def test_unknown_report_format_is_400(http):
    reply = http.get(f"/api/sessions/{SESSION_ID}/report?format=pdf")
    assert reply.status == 400 and "html" in reply.json()["error"]


def test_no_sessions_is_an_empty_list(http):
    assert http.get("/api/sessions").json() == {"sessions": []}


# --- lifecycle ---------------------------------------------------------------------

def test_close_is_idempotent_and_unsubscribes(web_config, controller):
    server = WebServer(web_config, controller)
    server.close()  # before start: fine
    server = WebServer(web_config, controller)
    server.start()
    assert server.url == f"http://127.0.0.1:{server.port}"
    server.close()
    server.close()
    controller.submit("start", source="cli")  # no listener left to call into a closed loop
    with pytest.raises(RuntimeError, match="closed"):
        server.start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", server.port))  # the port is free again


def test_port_in_use_is_a_clear_error(tmp_path, controller):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = Config(data_dir=tmp_path, web=WebConfig(port=taken.getsockname()[1]))
        server = WebServer(config, controller)
        with pytest.raises(OSError, match="cannot serve the staff page on 127.0.0.1"):
            server.start()
        server.close()


def test_status_source_can_add_daemon_faults(web_config, controller):
    def daemon_status() -> dict:
        status = controller.status()
        return {**status, "faults": status["faults"] + ["bedside hardware: no GPIO"]}

    with WebServer(web_config, controller, status=daemon_status) as server:
        api = Http(server, web_config.token_path.read_text().strip())
        assert api.get("/api/status").json()["faults"] == ["bedside hardware: no GPIO"]
        assert api.control("start").json()["status"]["faults"] == ["bedside hardware: no GPIO"]
