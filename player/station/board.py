"""The station's picture of every chair, built from MQTT messages alone. Pure: no I/O, no clock of its own.

`Board.receive(topic, payload, now, retained)` takes one message (``now`` is the station's
monotonic clock) and says which chair changed; `Board.views(now)` gives the tiles, most
urgent first: a fault (or a chair gone offline mid-session), then a checkpoint due, then
the session with the least time left in its phase; idle chairs last.

Events come at least once (a chair re-sends what the broker had not acknowledged before a
reconnect) and in order, so a repeat is any record whose number is not above the last one
of its stream: in a session, the session (``session_id``) and its ``seq``, which go on
over a chair's restart; outside one (no session id, and ``seq`` starts again after each
session), the publisher's run (``boot``) and its ``feed_seq``. The chair's own event log
stays the record; the station keeps the last `EVENTS_KEPT` per chair for its page.

The station trusts no chair (a chair's password only lets it write its own topics): the
topic names the chair, so a tile's room is the topic's (the status's ``room`` is shown only
when it is that same room); a link is an http(s) URL or the station's own ``chair_urls``;
numbers that are not finite are dropped (player/numbers.py); a message over
`MAX_MESSAGE_BYTES` is refused unread, never kept.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from player.core.vocabulary import describe
from player.mqtt.topics import room_slug, split_topic
from player.numbers import finite, json_numbers_checked
from player.oneline import is_one_line
from player.station.infusion_tile import infusion_tile

EVENTS_KEPT = 200
MAX_MESSAGE_BYTES = 256 * 1024   # a chair's status is a few KiB; the shipped broker refuses more (message_size_limit)
MAX_ROOM_CHARS = 60
_WEB_URL = re.compile(r"https?://[^\s/?#]+([/?#]\S*)?", re.IGNORECASE)
WILL_HOLD_S = 1.0            # a playing chair's will waits this long: is the broker itself shutting down?
DEFAULT_KEEPALIVE_S = 30.0   # mqtt.keepalive_s's default, for a chair that does not say its own
STREAMS_KEPT = 16
ACTIVE_STATES = frozenset({"playing", "paused", "faulted"})  # a session runs (states.py)

# Urgency ranks, most urgent first.
FAULT, DUE, RUNNING, IDLE, GONE = range(5)


@dataclass
class Chair:
    """What the station knows of one chair."""

    slug: str
    online: bool | None = None
    status: dict | None = None
    last_seen: float | None = None          # station's monotonic time of the last live message
    events: deque = field(default_factory=lambda: deque(maxlen=EVENTS_KEPT))
    last_seq: OrderedDict = field(default_factory=OrderedDict)   # stream -> highest seq seen
    repeats: int = 0
    silent: bool = False                    # marked offline by `Board.expire`, not by the broker
    will_at: float | None = None            # a will for a chair in a session, held (`Board.expire`)

    def silence_limit_s(self) -> float:
        """How long this chair may be silent while alive: 1.5 x the longer of its keepalive and status interval.

        The chair says both in its status (``feed``); the broker's own verdict (the last will)
        comes after 1.5 keepalives too, but Mosquitto 2.0 checks them coarsely (2-5 s late, measured).
        """
        feed = (self.status or {}).get("feed")
        feed = feed if isinstance(feed, dict) else {}
        longest = max(finite(feed.get("keepalive_s")) or DEFAULT_KEEPALIVE_S,
                      finite(feed.get("status_interval_s")) or 0.0)
        return 1.5 * longest

    @property
    def room(self) -> str:
        """The status's room name when it is this topic's room (``Room 3`` on ``room-3``), else the topic's."""
        room = (self.status or {}).get("room")
        if (isinstance(room, str) and 0 < len(room) <= MAX_ROOM_CHARS and is_one_line(room)
                and room_slug(room) == self.slug):
            return room
        return self.slug


def web_url(value: object) -> str | None:
    """`value` when it is an http(s) URL with a host and no spaces or control characters, else None.

    A chair's ``javascript:``, ``data:`` or any other scheme never becomes a link on the page.
    """
    if isinstance(value, str) and len(value) <= 2000 and is_one_line(value) and _WEB_URL.fullmatch(value):
        return value
    return None


def next_checkpoint(status: Mapping) -> dict | None:
    """The checkpoint to show: the earliest due one, else the next upcoming one (None if none).

    Reads ``status["checkpoints"]`` (``[{"at_s", "text", "state", ...}]``) defensively: a
    chair without checkpoints, or an older one, simply has none.
    """
    checkpoints = status.get("checkpoints")
    if not isinstance(checkpoints, list):
        return None
    usable = [c for c in checkpoints if isinstance(c, dict) and finite(c.get("at_s")) is not None]
    for state in ("due", "upcoming"):
        chosen = sorted((c for c in usable if c.get("state") == state), key=lambda c: c["at_s"])
        if chosen:
            shown = {k: chosen[0].get(k) for k in ("at_s", "text", "state")}
            elapsed = finite(status.get("elapsed_s"))
            shown["in_s"] = None if elapsed is None else round(chosen[0]["at_s"] - elapsed, 1)
            return shown
    return None


def urgency(chair: Chair) -> int:
    status = chair.status or {}
    state = status.get("state")
    if status.get("faults") or state == "faulted" or (chair.online is False and state in ACTIVE_STATES):
        return FAULT
    checkpoint = next_checkpoint(status)
    if checkpoint is not None and checkpoint["state"] == "due":
        return DUE
    if state in ACTIVE_STATES:
        return RUNNING
    return IDLE if chair.online else GONE


class Board:
    """Every chair under one topic prefix. Not thread-safe: lives on the station's event loop.

    Args:
        prefix: ``mqtt.topic_prefix``.
        chair_urls: room name (or slug) -> the chair's page, for chairs that send no ``web_url``.
    """

    def __init__(self, prefix: str, chair_urls: Mapping[str, str] | None = None) -> None:
        self.prefix = prefix
        self._urls = {room_slug(room): url for room, url in (chair_urls or {}).items()}
        self.chairs: dict[str, Chair] = {}
        self.ignored = 0

    def receive(self, topic: str, payload: bytes, now: float, retained: bool = False) -> Chair | None:
        """Take one message; the chair it changed, or None (not a chair's, malformed, or a repeat)."""
        where = split_topic(self.prefix, topic)
        if where is None or where[1] == "control":   # control is written by staff tools, not the chair
            return None
        slug, kind = where
        if len(payload) > MAX_MESSAGE_BYTES:      # refused unread: never parsed, never kept
            self.ignored += 1
            return None
        if kind == "online":
            return self._presence(slug, payload, now, retained)
        try:
            body = json_numbers_checked(json.loads(payload))
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            self.ignored += 1
            return None
        chair = self.chairs.setdefault(slug, Chair(slug))
        if not retained:
            chair.last_seen = now
        if kind == "status":
            chair.status = body
            if not retained:
                chair.online, chair.silent, chair.will_at = True, False, None
            return chair
        if kind == "events":
            return chair if self._event(chair, body) else None
        return chair   # a control reply: the chair is alive

    def _presence(self, slug: str, payload: bytes, now: float, retained: bool) -> Chair | None:
        text = payload.decode("utf-8", "replace").strip()
        if text not in ("online", "offline"):
            self.ignored += 1
            return None
        chair = self.chairs.setdefault(slug, Chair(slug))
        if text == "offline" and chair.online and (chair.status or {}).get("state") in ACTIVE_STATES:
            # Mosquitto publishes every will as it shuts down cleanly, just before the station loses
            # it too: hold a live one (`expire` applies it, `broker_lost` forgets it); a retained one
            # after a reconnect is old news, and the silence rule decides.
            if not retained and chair.will_at is None:
                chair.will_at = now
            return None
        chair.online, chair.silent, chair.will_at = text == "online", False, None
        if not retained and chair.online:
            chair.last_seen = now
        return chair

    def expire(self, now: float) -> list[Chair]:
        """Mark offline every chair silent past its `Chair.silence_limit_s`, or whose held will is
        `WILL_HOLD_S` old while the station kept the broker; the chairs that changed.

        Call it only while the station itself is connected (else every chair would go silent).
        """
        changed = []
        for chair in self.chairs.values():
            if chair.online and chair.will_at is not None and now - chair.will_at >= WILL_HOLD_S:
                chair.online, chair.will_at = False, None
                changed.append(chair)
            elif chair.online and chair.last_seen is not None and now - chair.last_seen > chair.silence_limit_s():
                chair.online, chair.silent = False, True
                changed.append(chair)
        return changed

    def broker_lost(self) -> None:
        """The station lost the broker: the wills it just sent were its shutdown's, not the chairs' verdict."""
        for chair in self.chairs.values():
            chair.will_at = None

    def grace(self, now: float) -> None:
        """The station (re)connected: count every chair's silence from now."""
        for chair in self.chairs.values():
            if chair.last_seen is not None:
                chair.last_seen = now

    def _event(self, chair: Chair, record: dict) -> bool:
        session = record.get("session_id")
        seq = record.get("seq") if session else record.get("feed_seq")
        if isinstance(seq, bool) or not isinstance(seq, int):
            self.ignored += 1
            return False
        stream = str(session) if session else f"boot:{record.get('boot')}"
        if seq <= chair.last_seq.get(stream, 0):
            chair.repeats += 1
            return False
        chair.last_seq[stream] = seq
        chair.last_seq.move_to_end(stream)
        while len(chair.last_seq) > STREAMS_KEPT:
            chair.last_seq.popitem(last=False)
        chair.events.append({**record, "description": describe(record)})
        return True

    def view(self, chair: Chair, now: float) -> dict:
        """One tile: the API's ``{"room", "online", "last_seen_s", "status"}`` and what the page shows."""
        status = chair.status or {}
        url = self._urls.get(chair.slug) or web_url(status.get("web_url"))
        last = chair.events[-1] if chair.events else None
        return {"room": chair.room, "slug": chair.slug, "online": chair.online,
                "last_seen_s": None if chair.last_seen is None else round(now - chair.last_seen, 1),
                "status": chair.status, "url": url,
                "urgency": urgency(chair), "next_checkpoint": next_checkpoint(status),
                "last_event": None if last is None else {k: last.get(k) for k in (
                    "seq", "session_id", "type", "description", "elapsed_s", "time")},
                "silent": chair.silent, "repeats_dropped": chair.repeats, "infusion": infusion_tile(status)}

    def views(self, now: float) -> list[dict]:
        """Every tile, most urgent first (then least time left in the phase, then room)."""
        def key(view: dict) -> tuple:
            left = finite((view["status"] or {}).get("phase_remaining_s"))
            return view["urgency"], math.inf if left is None else left, view["room"].lower()
        return sorted((self.view(c, now) for c in self.chairs.values()), key=key)
