"""Controls over MQTT: ``PREFIX/ROOM/control`` in, ``PREFIX/ROOM/control/reply`` out.

A control is a flat JSON object ``{"id": ..., "action": "pause", ...arguments}``, the same
actions and arguments as the HTTP API (validated by `check_control`, played through the
engine queue like every edge; ``start``/``load`` name a playlist of the imported library,
never a path). The answer, ``{"id", "ok", "error"}``, goes to the reply topic with the
request's id. Refused unless ``mqtt.allow_control: true``: the broker's ACL decides who may
write a chair's control topic (docs/station.md#the-acl-file).

Each control waits for the engine, so they run on one worker thread of their own, never
on paho's network thread (whose pings would stall); a backlog past `MAX_WAITING` is refused.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from player.config import Config
from player.errors import PlaylistNotFound, SessionRefused
from player.mqtt.topics import Topics
from player.playlist.library import library_playlist
from player.session.control import Controller, check_control

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 16 * 1024
MAX_ID_CHARS = 100
MAX_WAITING = 8


def parse_control(payload: bytes) -> dict:
    """The control message as a dict (its ``id`` still in it).

    Raises:
        SessionRefused: too large, or not a JSON object.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise SessionRefused(f"a control is at most {MAX_PAYLOAD_BYTES // 1024} KiB")
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise SessionRefused('a control is a JSON object like {"id": "1", "action": "pause"}')
    return body


def request_id(body: dict) -> str | int | None:
    """The request's id, when it is one a reply may carry back (a number or a short string)."""
    value = body.get("id")
    if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and len(value) <= MAX_ID_CHARS:
        return value
    return None


class RemoteControl:
    """Answers control messages for one chair (paho's thread calls `on_message`)."""

    def __init__(self, config: Config, controller: Controller, link, topics: Topics) -> None:
        self._config = config
        self._controller = controller
        self._link = link
        self._topics = topics
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mqtt-control")
        self._waiting = threading.Semaphore(MAX_WAITING)
        self.answered = 0

    def on_message(self, topic: str, payload: bytes, retained: bool = False) -> None:
        if topic != self._topics.control:
            return
        if not self._waiting.acquire(blocking=False):
            self._reply(None, "too many controls waiting; try again")
            return
        try:
            self._pool.submit(self._handle, payload)
        except RuntimeError:  # closing
            self._waiting.release()

    def _handle(self, payload: bytes) -> None:
        rid = None
        try:
            args = parse_control(payload)
            rid = request_id(args)
            if args.pop("id", None) != rid:
                raise SessionRefused(f"id must be a number or a string of at most {MAX_ID_CHARS} characters")
            action = args.pop("action", None)
            if not isinstance(action, str):
                raise SessionRefused('missing "action", e.g. {"id": "1", "action": "pause"}')
            if any(isinstance(v, (dict, list)) for v in args.values()):
                raise SessionRefused("a control's arguments are plain values (text, numbers)")
            if not self._config.mqtt.allow_control:
                raise SessionRefused("controls over MQTT are off on this chair (mqtt.allow_control: false)")
            args = check_control(action, "mqtt", args)
            if action in ("start", "load") and "playlist" in args:
                args["playlist"] = str(library_playlist(self._config.data_dir, args["playlist"]))
            self._controller.submit(action, source="mqtt", **args)
        except (SessionRefused, PlaylistNotFound) as exc:
            self._reply(rid, str(exc))
        except TimeoutError:
            self._reply(rid, "the session engine did not answer in time; the control may not have been applied")
        except Exception as exc:  # noqa: BLE001 - every request gets an answer
            log.exception("MQTT control failed")
            self._reply(rid, f"internal error: {type(exc).__name__}")
        else:
            self._reply(rid, None)
        finally:
            self._waiting.release()

    def _reply(self, request_id: object, error: str | None) -> None:
        self.answered += 1
        body = {"id": request_id, "ok": error is None, "error": error}
        self._link.publish(self._topics.reply, json.dumps(body, ensure_ascii=False))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
