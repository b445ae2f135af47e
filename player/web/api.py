"""The staff page's HTTP routes (aiohttp): auth, status, live events, controls, reports.

Everything that can block (a control waits for the engine to act and fsync; reports read
files) runs on a small thread pool, so the event loop that serves the live streams never
waits on the engine or the SD card.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable
from concurrent.futures import Executor
from importlib import resources
from pathlib import Path

from aiohttp import web

from player.config import Config
from player.control.controller import Controller, check_control
from player.core.vocabulary import CONTROLS, next_state
from player.errors import PlaylistNotFound, SessionNotFound, SessionRefused
from player.playlist.summary import summarize_library
from player.session.report import REPORT_FORMATS, build_report, list_sessions, render_report
from player.usb.library import library_playlist, library_playlists
from player.web.auth import Authenticator, Verdict
from player.web.events import EventHub
from player.web.limits import address_key

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
MAX_JSON_DEPTH = 8  # a control is {"action": ..., "text": ...}: anything deeper is not one
COOKIE_NAME = "sp_staff"
COOKIE_MAX_AGE_S = 12 * 3600  # one clinic day; then the login form again
OPEN_PATHS = frozenset({"/healthz", "/login"})
PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
# The login form is the one page shown without the token: inline style, no script at all.
LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
# Reports are self-contained HTML with inline CSS and no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
_CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

def app_key(name: str, kind: type) -> object:
    """A typed key on aiohttp >= 3.9 (a plain str there warns); Debian 12's aiohttp 3.8.4 only takes str keys."""
    app_key = getattr(web, "AppKey", None)
    return app_key(name, kind) if app_key is not None else name


CONFIG_KEY = app_key("config", Config)
CONTROLLER_KEY = app_key("controller", object)
STATUS_KEY = app_key("status", object)  # () -> dict: the page's status with room, cap, allowed
AUTH_KEY = app_key("auth", Authenticator)
HUB_KEY = app_key("hub", object)  # EventHub, or the station's hub
EXECUTOR_KEY = app_key("executor", Executor)
STATIC_KEY = app_key("static", dict)


def _json_default(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _dumps(value: object) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, allow_nan=False)


def json_response(data: object, status: int = 200, **kwargs: object) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps, headers={"Cache-Control": "no-store"}, **kwargs)


def error(code: int, message: str, **extra: object) -> web.Response:
    return json_response({"error": message, **extra}, status=code)


def status_payload(config: Config, status: dict) -> dict:
    """A status snapshot plus what the page needs: room, cap, the allowed controls and the pre-session checklist."""
    status = dict(status)
    status["checklist"] = list(config.session.checklist)
    status["require_checklist"] = config.session.require_checklist
    status["room"] = status.get("room") or config.room
    status["cap_db"] = status.get("max_db") if status.get("max_db") is not None else config.volume.max_db
    status["allowed"] = [a for a in CONTROLS if next_state(status.get("state") or "idle", a) is not None]
    return status


def load_static(package: str = "player.web") -> dict[str, tuple[bytes, str]]:
    """A package's page files (its ``static`` folder), read once at start: the SD card is not touched per request."""
    files = {}
    for entry in resources.files(package).joinpath("static").iterdir():
        suffix = Path(entry.name).suffix
        if suffix in _CONTENT_TYPES:
            files[entry.name] = (entry.read_bytes(), _CONTENT_TYPES[suffix])
    return files


def _static(request: web.Request, name: str, status: int = 200) -> web.Response:
    body, content_type = request.app[STATIC_KEY][name]
    csp = LOGIN_CSP if name == "login.html" else PAGE_CSP
    return web.Response(body=body, status=status, content_type=content_type, charset="utf-8",
                        headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache",
                                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _limited(request: web.Request) -> web.Response:
    retry = math.ceil(request.app[AUTH_KEY].limiter.retry_after_s(address_key(request.remote)))
    response = error(429, f"too many wrong tokens from this address; try again in {retry} s")
    response.headers["Retry-After"] = str(max(1, retry))
    return response


def _wants_page(request: web.Request) -> bool:
    return request.method == "GET" and not request.path.startswith("/api/")


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """Every route but /healthz and /login needs the Bearer token or the login cookie."""
    if request.path in OPEN_PATHS:
        return await handler(request)
    verdict = request.app[AUTH_KEY].check(address_key(request.remote), bearer=_bearer(request),
                                          cookie=request.cookies.get(COOKIE_NAME))
    if verdict is Verdict.OK:
        return await handler(request)
    response = _refused(request, verdict)
    response.force_close()  # without the token, no connection is kept open for later
    return response


def _refused(request: web.Request, verdict: Verdict) -> web.Response:
    if verdict is Verdict.LIMITED:
        return _limited(request)
    if _wants_page(request):
        response = _static(request, "login.html", status=401)
        if request.query.get("login") == "failed":
            response.body = response.body.replace(b'class="failed"', b'class="failed shown"', 1)
    else:
        response = error(401, "missing or wrong token: send 'Authorization: Bearer <token>' "
                              "('session-player web-token' prints it)")
        response.headers["WWW-Authenticate"] = 'Bearer realm="session-player"'
    if request.cookies.get(COOKIE_NAME) is not None:
        response.del_cookie(COOKIE_NAME, path="/")  # stale (token changed): forget it, so reloads are not failures
    return response


async def healthz(request: web.Request) -> web.Response:
    return json_response({"ok": True})


async def login(request: web.Request) -> web.Response:
    """The login form posts the token; a right one gets the cookie and goes to the page."""
    auth = request.app[AUTH_KEY]
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return error(400, "login form too large")
    try:
        form = await asyncio.wait_for(request.post(), _body_timeout_s(request))
    except TimeoutError:
        return _too_slow()
    except (web.HTTPRequestEntityTooLarge, ValueError):
        return error(400, "login form too large or malformed")
    token = form.get("token")
    verdict = auth.check(address_key(request.remote), token=token if isinstance(token, str) else "")
    if verdict is Verdict.LIMITED:
        return _limited(request)
    if verdict is not Verdict.OK:
        return _see_other("/?login=failed")
    response = _see_other("/")
    response.set_cookie(COOKIE_NAME, auth.cookie, max_age=COOKIE_MAX_AGE_S, path="/", httponly=True,
                        samesite="Strict", secure=request.secure)
    return response


async def logout(request: web.Request) -> web.Response:
    response = _see_other("/")
    response.del_cookie(COOKIE_NAME, path="/")
    return response


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


async def index(request: web.Request) -> web.Response:
    return _static(request, "index.html")


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in request.app[STATIC_KEY] or name == "login.html":
        return error(404, f"no file {name!r}")
    return _static(request, name)


async def api_status(request: web.Request) -> web.Response:
    return json_response(request.app[STATUS_KEY]())


async def api_events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: hello (backlog), then event + status on every event, status every tick."""
    hub = request.app[HUB_KEY]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    client = hub.connect()
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            item = await client.queue.get()
            if item is None:
                break
            kind, payload = item
            await response.write(f"event: {kind}\ndata: {_dumps(payload)}\n\n".encode())
    except ConnectionResetError:
        pass  # the browser went away: nothing to clean up but its seat
    finally:
        hub.disconnect(client)
    return response


def _body_timeout_s(request: web.Request) -> float:
    return request.app[CONFIG_KEY].web.header_timeout_s


def _too_slow() -> web.Response:
    response = error(408, "the request body did not arrive in time")
    response.force_close()
    return response


def _too_deep(value: object) -> bool:
    """True when containers nest deeper than `MAX_JSON_DEPTH` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_JSON_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


async def _read_json_object(request: web.Request) -> dict | web.Response:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return error(400, f"request body is larger than {MAX_BODY_BYTES // 1024} KiB")
    if request.content_type != "application/json":
        return error(400, "send the control as JSON with 'Content-Type: application/json'")
    try:
        raw = await asyncio.wait_for(request.read(), _body_timeout_s(request))
    except TimeoutError:
        return _too_slow()
    except web.HTTPRequestEntityTooLarge:
        return error(400, f"request body is larger than {MAX_BODY_BYTES // 1024} KiB")
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:  # its message gives a position, never the text
        return error(400, f"body is not valid JSON: {exc}")
    except (ValueError, RecursionError):  # not UTF-8, a number past int's 4300 digits, nesting past the stack
        return error(400, "body is not valid JSON (not UTF-8, a number with too many digits, or nested too deeply)")
    if not isinstance(body, dict):
        return error(400, 'body must be a JSON object like {"action": "pause"}')
    if _too_deep(body):
        return error(400, f"body nests deeper than {MAX_JSON_DEPTH} levels; a control is a flat JSON object")
    return body


async def api_control(request: web.Request) -> web.Response:
    """Validate like every other edge, then queue it on the engine (off the loop) and answer."""
    body = await _read_json_object(request)
    if isinstance(body, web.Response):
        return body
    action = body.pop("action", None)
    if not isinstance(action, str):
        return error(400, f'missing "action": one of {", ".join(CONTROLS)}')
    try:
        check_control(action, "web", body, request.app[CONFIG_KEY].session.observation_kinds)
    except SessionRefused as exc:
        return error(400, _hide_data_dir(request, str(exc)))
    controller = request.app[CONTROLLER_KEY]
    loop = asyncio.get_running_loop()
    if action in ("start", "load") and "playlist" in body:  # by name, from the library only; never a path
        try:
            body["playlist"] = str(await loop.run_in_executor(
                request.app[EXECUTOR_KEY], library_playlist, request.app[CONFIG_KEY].data_dir, body["playlist"]))
        except PlaylistNotFound as exc:
            return error(400, str(exc))
    try:
        await loop.run_in_executor(request.app[EXECUTOR_KEY],
                                   lambda: controller.submit(action, source="web", **body))
    except SessionRefused as exc:
        return error(409, _hide_data_dir(request, str(exc)), status=request.app[STATUS_KEY]())
    except TimeoutError:
        log.error("the session engine did not answer a web %s control in time", action)
        return error(503, "the session engine did not answer in time; the control may not have been applied")
    return json_response({"ok": True, "action": action,
                          "status": request.app[STATUS_KEY]()})


def _hide_data_dir(request: web.Request, message: str) -> str:
    """`message` with the data folder's absolute path shown as ``<data_dir>`` (not for a LAN's eyes)."""
    data_dir = Path(request.app[CONFIG_KEY].data_dir)
    for shown in sorted({str(data_dir.resolve()), str(data_dir.absolute())}, key=len, reverse=True):
        if shown != "/":
            message = message.replace(shown, "<data_dir>")
    return message


async def api_playlists(request: web.Request) -> web.Response:
    """The names `start`/`load` accept: the playlists of the imported library.

    With ``?details=1`` also each one's summary (`session-player playlists --json`'s rows), to choose one.
    """
    def listing() -> dict:
        found = library_playlists(request.app[CONFIG_KEY].data_dir)
        answer: dict = {"playlists": list(found)}
        if request.query.get("details") == "1":
            answer["details"] = [{**row, "error": _hide_data_dir(request, row["error"]) if row["error"] else None}
                                 for row in summarize_library(found)]
        return answer
    return json_response(await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR_KEY], listing))


async def api_sessions(request: web.Request) -> web.Response:
    data_dir = request.app[CONFIG_KEY].data_dir
    rows = await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR_KEY], list_sessions, data_dir)
    return json_response({"sessions": rows})


def _render(data_dir: Path, session_id: str, fmt: str) -> str:
    return render_report(build_report(data_dir, session_id), fmt)


async def api_report(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    fmt = request.query.get("format", "html")
    if fmt not in REPORT_FORMATS:
        return error(400, f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
    try:
        text = await asyncio.get_running_loop().run_in_executor(
            request.app[EXECUTOR_KEY], _render, request.app[CONFIG_KEY].data_dir, session_id, fmt)
    except SessionNotFound as exc:
        return error(404, _hide_data_dir(request, str(exc)))
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if fmt in ("html", "music"):
        headers["Content-Security-Policy"] = REPORT_CSP
        return web.Response(text=text, content_type="text/html", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{session_id}.{fmt}"'
    content_type = "text/csv" if fmt == "csv" else "application/json"
    return web.Response(text=text, content_type=content_type, headers=headers)


def page_app(config: Config, auth: Authenticator, hub, static: dict[str, tuple[bytes, str]]) -> web.Application:
    """What every page of ours shares: the token check, login and logout, /healthz, the page
    (``index.html`` of `static`, which must also hold ``login.html``), its files, and the live
    stream from `hub` (anything with `connect()`/`disconnect()` of `SseClient`s, like `EventHub`).
    The chair's page and the nursing station (player/station/) add their own API routes.
    """
    app = web.Application(middlewares=[auth_middleware], client_max_size=MAX_BODY_BYTES)
    app[CONFIG_KEY] = config
    app[AUTH_KEY] = auth
    app[HUB_KEY] = hub
    app[STATIC_KEY] = static
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static_file)
    app.router.add_get("/api/events", api_events)
    return app


def build_app(config: Config, controller: Controller, auth: Authenticator, hub: EventHub,
              executor: Executor, status: Callable[[], dict]) -> web.Application:
    """The aiohttp application; `WebServer` runs it on its own thread and loop.

    Args:
        status: the page's status snapshot (`status_payload` of the session's status).
    """
    app = page_app(config, auth, hub, load_static())
    app[CONTROLLER_KEY] = controller
    app[STATUS_KEY] = status
    app[EXECUTOR_KEY] = executor
    app.router.add_get("/api/status", api_status)
    app.router.add_post("/api/control", api_control)
    app.router.add_get("/api/playlists", api_playlists)
    app.router.add_get("/api/sessions", api_sessions)
    app.router.add_get("/api/sessions/{session_id}/report", api_report)
    return app
