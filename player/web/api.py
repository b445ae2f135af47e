"""The staff page's HTTP routes (aiohttp): status, controls, playlists, reports.

The token check, login, the page's files and the live stream are the shared HTTP layer's
(player/http/app.py). Everything that can block (a control waits for the engine to act and
fsync; reports read files) runs on a small thread pool, so the event loop that serves the
live streams never waits on the engine or the SD card.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from aiohttp import web

from player.config import Config
from player.control.controller import Controller, check_control
from player.core.cap import cap_db
from player.core.vocabulary import CONTROLS, next_state
from player.errors import PlaylistNotFound, SessionNotFound, SessionRefused
from player.http.app import (
    CONFIG_KEY,
    MAX_BODY_BYTES,
    app_key,
    body_timeout_s,
    error,
    json_response,
    page_app,
    too_slow,
)
from player.http.auth import Authenticator
from player.playlist.library import library_playlist, library_playlists, voice_heard
from player.playlist.summary import summarize_library
from player.reports.feedback import session_feedback
from player.reports.report import REPORT_FORMATS, build_report, list_sessions, render_report
from player.web.events import EventHub

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 8  # a control is {"action": ..., "text": ...}: anything deeper is not one
# Reports are self-contained HTML with inline CSS and no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

CONTROLLER_KEY = app_key("controller", object)
STATUS_KEY = app_key("status", object)  # () -> dict: the page's status with room, cap, allowed
EXECUTOR_KEY = app_key("executor", Executor)


def status_payload(config: Config, status: dict) -> dict:
    """A status snapshot plus what the page needs: room, cap, the allowed controls and the pre-session checklist."""
    status = dict(status)
    status["checklist"] = list(config.session.checklist)
    status["require_checklist"] = config.session.require_checklist
    status["room"] = status.get("room") or config.room
    status["cap_db"] = status.get("max_db") if status.get("max_db") is not None else cap_db(config.volume)
    status["allowed"] = [a for a in CONTROLS if next_state(status.get("state") or "idle", a) is not None]
    return status


async def api_status(request: web.Request) -> web.Response:
    return json_response(request.app[STATUS_KEY]())


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
        raw = await asyncio.wait_for(request.read(), body_timeout_s(request))
    except TimeoutError:
        return too_slow()
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
        config = request.app[CONFIG_KEY]
        found = library_playlists(config.data_dir)
        answer: dict = {"playlists": list(found)}
        if request.query.get("details") == "1":
            answer["details"] = [{**row, "error": _hide_data_dir(request, row["error"]) if row["error"] else None}
                                 for row in summarize_library(found, config.library.voice_scan, voice_heard)]
        return answer
    return json_response(await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR_KEY], listing))


async def api_sessions(request: web.Request) -> web.Response:
    data_dir = request.app[CONFIG_KEY].data_dir
    rows = await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR_KEY], list_sessions, data_dir)
    return json_response({"sessions": rows})


def _render(config: Config, session_id: str, fmt: str) -> str:
    return render_report(build_report(config.data_dir, session_id), fmt, config.take_home)


async def api_report(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    fmt = request.query.get("format", "html")
    if fmt not in REPORT_FORMATS:
        return error(400, f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
    try:
        text = await asyncio.get_running_loop().run_in_executor(
            request.app[EXECUTOR_KEY], _render, request.app[CONFIG_KEY], session_id, fmt)
    except SessionNotFound as exc:
        return error(404, _hide_data_dir(request, str(exc)))
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if fmt in ("html", "music"):
        headers["Content-Security-Policy"] = REPORT_CSP
        return web.Response(text=text, content_type="text/html", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{session_id}.{fmt}"'
    content_type = "text/csv" if fmt == "csv" else "application/json"
    return web.Response(text=text, content_type=content_type, headers=headers)


async def api_feedback(request: web.Request) -> web.Response:
    """The feedback form's data: the newest finished session's (or ``?session=ID``'s) tracks heard,
    phases and the answers that count (player/reports/feedback.py); answers go through /api/control."""
    session_id = request.query.get("session") or None
    try:
        payload = await asyncio.get_running_loop().run_in_executor(
            request.app[EXECUTOR_KEY], session_feedback, request.app[CONFIG_KEY].data_dir, session_id)
    except SessionNotFound as exc:
        return error(404, _hide_data_dir(request, str(exc)))
    return json_response(payload)


def build_app(config: Config, controller: Controller, auth: Authenticator, hub: EventHub,
              executor: Executor, status: Callable[[], dict]) -> web.Application:
    """The aiohttp application; `WebServer` runs it on its own thread and loop.

    Args:
        status: the page's status snapshot (`status_payload` of the session's status).
    """
    app = page_app(config, auth, hub, "player.web")
    app[CONTROLLER_KEY] = controller
    app[STATUS_KEY] = status
    app[EXECUTOR_KEY] = executor
    app.router.add_get("/api/status", api_status)
    app.router.add_post("/api/control", api_control)
    app.router.add_get("/api/playlists", api_playlists)
    app.router.add_get("/api/sessions", api_sessions)
    app.router.add_get("/api/sessions/{session_id}/report", api_report)
    app.router.add_get("/api/feedback", api_feedback)
    return app
