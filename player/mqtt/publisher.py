"""`ChairPublisher`: the daemon's MQTT edge, publishing this chair for the nursing station.

Topics (QoS 1; player/mqtt/topics.py): ``PREFIX/ROOM/status`` (retained: the status dict,
on every change and at least every ``mqtt.status_interval_s``), ``PREFIX/ROOM/events``
(every event record as logged, plus ``boot``, this publisher's run id, and ``feed_seq``,
its number in this run, so that records outside a session, whose ``session_id`` is null and
whose ``seq`` starts again after each session, are still told apart), and
``PREFIX/ROOM/online`` (retained "online"; the broker's last will sets "offline").

The engine's listener only appends to the `Outbox`; one thread publishes, one message at
a time, waiting for each acknowledgement, so the order survives a reconnect. That thread
runs at background priority (player/background.py: nice 19, I/O idle; SCHED_OTHER, as a
Python thread), so building and sending the feed never takes CPU the music needs. paho's
network thread keeps its priority: it also carries the station's controls. A message
whose ack never came is sent again after reconnecting: the station drops repeats by
(session_id or boot, seq). The broker being down never touches playback.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from player.background import lower_priority
from player.config import Config
from player.control.controller import Controller
from player.mqtt.client import MqttLink, Will
from player.mqtt.control import RemoteControl
from player.mqtt.outbox import Outbox
from player.mqtt.topics import Topics, room_slug

log = logging.getLogger(__name__)

ACK_TIMEOUT_S = 5.0
#: Status keys that move on every tick; a change in the others is a change worth publishing now.
MOVING_KEYS = frozenset({"elapsed_s", "phase_elapsed_s", "phase_remaining_s", "remaining_s", "volume_now_db",
                         "level_db", "heard_dba", "records_pending", "sent_at"})


def dumps(value: object) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def status_shape(status: dict) -> str:
    """The status without its moving parts: publish at once when this changes."""
    return dumps({k: v for k, v in status.items() if k not in MOVING_KEYS})


class ChairPublisher:
    """Constructing does no I/O; `start()` connects in the background; `close()` is idempotent.

    Args:
        config: ``mqtt`` (broker, prefix, intervals, allow_control) and ``room``.
        controller: the session's controller (subscribed to; controls go through it).
        status: the daemon's status (with its faults); default `controller.status`.
        link_factory: builds the `MqttLink` (tests may wrap it).
    """

    def __init__(self, config: Config, controller: Controller, *, status: Callable[[], dict] | None = None,
                 link_factory: Callable[..., MqttLink] = MqttLink) -> None:
        self._config = config
        self._mqtt = config.mqtt
        self._controller = controller
        self._status = status or controller.status
        self.topics = Topics(self._mqtt.topic_prefix, room_slug(config.room))
        self.boot = uuid.uuid4().hex[:12]
        self.outbox = Outbox(self._mqtt.buffer_events)
        self._link_factory = link_factory
        self._link: MqttLink | None = None
        self._acks = threading.Condition()
        self._acked: set[int] = set()
        self._announced = False
        self._closing = threading.Event()
        self._up = threading.Event()    # connected: the publisher thread sleeps on this while offline
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._control: RemoteControl | None = None
        self.published = 0

    def __repr__(self) -> str:
        return f"<ChairPublisher {self.topics.prefix}/{self.topics.slug} {len(self.outbox)} waiting>"

    @property
    def connected(self) -> bool:
        return self._link is not None and self._link.connected

    def start(self) -> None:
        """Subscribe to the session, connect (retrying in the background) and start publishing.

        Raises:
            ConfigInvalid: paho-mqtt is missing, or the password file cannot be read.
        """
        link = self._link_factory(self._mqtt, f"session-player-{self.topics.slug}",
                                  will=Will(self.topics.online, "offline"))
        link.on_connect = self._on_connect
        link.on_disconnect = self._on_disconnect
        link.on_publish = self._on_publish
        self._control = RemoteControl(self._config, self._controller, link, self.topics)
        link.on_message = self._control.on_message
        self._link = link
        self._unsubscribe = self._controller.subscribe(self.outbox.put)
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()
        link.start()
        log.info("publishing %s to the MQTT broker %s", self.topics.slug, self._mqtt.host)

    # --- paho's network thread: hand on, never block ------------------------------------

    def _on_connect(self) -> None:
        self._announced = False
        self._link.subscribe(self.topics.control)
        self._up.set()
        self.outbox.poke()

    def _on_disconnect(self) -> None:
        self._up.clear()
        with self._acks:
            self._acks.notify_all()

    def _on_publish(self, mid: int) -> None:
        with self._acks:
            self._acked.add(mid)
            self._acks.notify_all()

    # --- the publisher thread ------------------------------------------------------------

    def _send(self, topic: str, payload: str, *, retain: bool = False) -> bool:
        """Publish and wait for the broker's ack; False when offline or no ack came (try again later)."""
        mid = self._link.publish(topic, payload, retain=retain)
        if mid is None:
            return False
        deadline = time.monotonic() + ACK_TIMEOUT_S
        with self._acks:
            while mid not in self._acked:
                left = deadline - time.monotonic()
                if left <= 0 or not self._link.connected or self._closing.is_set():
                    return False
                self._acks.wait(left)
            self._acked.discard(mid)
        self.published += 1
        return True

    def _status_payload(self) -> dict:
        status = dict(self._status())
        status["web_url"] = self._mqtt.web_url
        status["sent_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
        status["feed"] = {"topic_room": self.topics.slug, "keepalive_s": self._mqtt.keepalive_s,
                          "status_interval_s": self._mqtt.status_interval_s,
                          "dropped": self.outbox.dropped}
        return status

    def _run(self) -> None:
        lower_priority(idle_policy=False)   # the station's feed is background work: playback first
        shape, sent_at = None, -float("inf")
        tick = min(1.0, self._mqtt.status_interval_s)
        while not self._closing.is_set():
            if not self._up.wait(tick):   # offline: events wait in the outbox, nothing spins
                continue
            self.outbox.wait(tick)
            if self._closing.is_set() or not self.connected:
                continue
            try:
                if not self._announced:
                    self._announced = self._send(self.topics.online, "online", retain=True)
                    shape = None
                sent_event = self._send_events()
                status = self._status_payload()
                now = time.monotonic()
                new_shape = status_shape(status)
                due = sent_event or new_shape != shape or now - sent_at >= self._mqtt.status_interval_s
                if due and self._send(self.topics.status, dumps(status), retain=True):
                    shape, sent_at = new_shape, now
            except Exception:  # noqa: BLE001 - the station's feed never stops the player
                log.exception("MQTT publishing failed; retrying")
                self._closing.wait(1.0)

    def _send_events(self) -> bool:
        sent = False
        while self.connected and not self._closing.is_set():
            record = self.outbox.peek()
            if record is None:
                break
            if not self._send(self.topics.events, dumps({**record, "boot": self.boot})):
                if self.connected:
                    self._closing.wait(1.0)   # connected but refused or unanswered: again in a second
                break
            self.outbox.done(record)
            sent = True
        return sent

    def close(self) -> None:
        """Say "offline" (if connected), disconnect, stop; safe to call twice or before start."""
        if self._closing.is_set():
            return
        self._closing.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.outbox.poke()
        self._up.set()
        with self._acks:
            self._acks.notify_all()   # a send waiting for its ack gives up now
        if self._thread is not None:
            self._thread.join(ACK_TIMEOUT_S + 1)
        if self._control is not None:
            self._control.close()
        if self._link is not None:
            if self._link.connected:
                self._closing.clear()  # let this last publish wait for its ack
                self._send(self.topics.online, "offline", retain=True)
                self._closing.set()
            self._link.close()
