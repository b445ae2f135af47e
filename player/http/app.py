"""What the chair's staff page and the nursing station share over HTTP (aiohttp).

`page_app` builds the application both start from: the token check on every route but
``/healthz`` and ``/login`` (Bearer token or the login cookie, with the failure limiter),
the login form and logout, the page (``index.html``, its head from ``static/head.html``)
and its files, the common script and the live stream from an `SseHub`. The chair's page
(player/web/api.py) and the station (player/station/server.py) add their own API routes.
"""

from __future__ import annotations

import asyncio
import json
import math
from importlib import resources
from pathlib import Path

from aiohttp import web

from player.config import Config
from player.http.auth import Authenticator, Verdict
from player.http.limits import address_key
from player.http.sse import SseHub

MAX_BODY_BYTES = 16 * 1024
COOKIE_NAME = "sp_staff"
COOKIE_MAX_AGE_S = 12 * 3600  # one clinic day; then the login form again
OPEN_PATHS = frozenset({"/healthz", "/login"})
PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
# The login form is the one page shown without the token: inline style, no script at all.
LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
PAGE_HEAD_MARK = b"<!-- page head (player/http/page_head.html) -->"
_CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def app_key(name: str, kind: type) -> object:
    """A typed key on aiohttp >= 3.9 (a plain str there warns); Debian 12's aiohttp 3.8.4 only takes str keys."""
    app_key = getattr(web, "AppKey", None)
    return app_key(name, kind) if app_key is not None else name


CONFIG_KEY = app_key("config", Config)
AUTH_KEY = app_key("auth", Authenticator)
HUB_KEY = app_key("hub", SseHub)  # the chair's EventHub, or the station's
STATIC_KEY = app_key("static", dict)


def _json_default(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def dumps(value: object) -> str:
    """JSON for a page: paths as text, NaN and infinities as null, never an exception."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, allow_nan=False)


def json_response(data: object, status: int = 200, **kwargs: object) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps, headers={"Cache-Control": "no-store"}, **kwargs)


def error(code: int, message: str, **extra: object) -> web.Response:
    return json_response({"error": message, **extra}, status=code)


def load_static(package: str) -> dict[str, tuple[bytes, str]]:
    """A page's files, read once at start (the SD card is not touched per request): the shared ones
    (this package's ``static``: the login form, common.js) and `package`'s own ``static`` folder.

    Each HTML page starts with the marker comment `PAGE_HEAD_MARK`, which becomes the one page
    head all our pages share (``page_head.html``: doctype, charset, viewport, dark colours).
    """
    head = resources.files("player.http").joinpath("page_head.html").read_bytes().rstrip(b"\n")
    files = {}
    for owner in ("player.http", package):
        for entry in resources.files(owner).joinpath("static").iterdir():
            suffix = Path(entry.name).suffix
            if suffix in _CONTENT_TYPES:
                body = entry.read_bytes()
                if suffix == ".html":
                    if not body.startswith(PAGE_HEAD_MARK):
                        raise ValueError(f"{owner} static/{entry.name} must start with {PAGE_HEAD_MARK.decode()}")
                    body = head + body[len(PAGE_HEAD_MARK):]
                files[entry.name] = (body, _CONTENT_TYPES[suffix])
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
        form = await asyncio.wait_for(request.post(), body_timeout_s(request))
    except TimeoutError:
        return too_slow()
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
            await response.write(f"event: {kind}\ndata: {dumps(payload)}\n\n".encode())
    except ConnectionResetError:
        pass  # the browser went away: nothing to clean up but its seat
    finally:
        hub.disconnect(client)
    return response


def body_timeout_s(request: web.Request) -> float:
    return request.app[CONFIG_KEY].web.header_timeout_s


def too_slow() -> web.Response:
    response = error(408, "the request body did not arrive in time")
    response.force_close()
    return response


def page_app(config: Config, auth: Authenticator, hub: SseHub, pages: str) -> web.Application:
    """What every page of ours shares: the token check, login and logout, /healthz, the page
    (``index.html`` of package `pages`' static folder), its files with common.js, and the live
    stream from `hub`. The chair's page (player/web/) and the nursing station (player/station/)
    add their own API routes.
    """
    app = web.Application(middlewares=[auth_middleware], client_max_size=MAX_BODY_BYTES)
    app[CONFIG_KEY] = config
    app[AUTH_KEY] = auth
    app[HUB_KEY] = hub
    app[STATIC_KEY] = load_static(pages)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static_file)
    app.router.add_get("/api/events", api_events)
    return app
