"""One small adapter over paho-mqtt, so the rest of the player never sees its API version.

Debian 12 ships python3-paho-mqtt 1.6.1; PyPI has 2.x, whose `Client` wants a
`CallbackAPIVersion` first and passes reason codes and properties to the callbacks. Both
are handled here, and only here. Why paho (docs/station.md#why-paho-mqtt): an Eclipse
project, packaged by Debian, with its own network thread (no asyncio in the daemon's
edges), QoS 1, retained messages, a last will, TLS and automatic reconnection.

`MqttLink` calls its `on_*` hooks on paho's network thread: they must only hand work on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from player.config import MqttConfig
from player.errors import ConfigInvalid

log = logging.getLogger(__name__)

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 10


@dataclass(frozen=True)
class Will:
    """What the broker publishes for us when we vanish (the chair's ``online`` = "offline")."""

    topic: str
    payload: str
    retain: bool = True


def _paho():
    try:
        import paho.mqtt.client as paho
    except ImportError:
        raise ConfigInvalid("mqtt.enabled needs paho-mqtt: apt install python3-paho-mqtt "
                            "(or pip install 'session-player[mqtt]')") from None
    return paho


def _password(config: MqttConfig) -> str | None:
    if config.password_file is None:
        return None
    try:
        return config.password_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid(f"mqtt.password_file: cannot read {config.password_file}: {exc}") from None


def broker_port(config: MqttConfig) -> int:
    """`mqtt.port`, else MQTT's standard port: 8883 with TLS, 1883 without."""
    return config.port or (8883 if config.tls else 1883)


class MqttLink:
    """A paho client with its network thread: connects, reconnects, and reports through hooks.

    Args:
        config: the ``mqtt:`` section (host, port, TLS, user, password file, keepalive).
        client_id: unique per broker (a chair: its room; the station: its own).
        clean_session: False keeps the subscriptions and QoS 1 messages queued at the broker
            while we are away (the station); True for a chair.
        will: the last will, if any.
    """

    def __init__(self, config: MqttConfig, client_id: str, *, clean_session: bool = True,
                 will: Will | None = None) -> None:
        paho = _paho()
        self._config = config
        self._success = paho.MQTT_ERR_SUCCESS
        version = getattr(paho, "CallbackAPIVersion", None)
        if version is not None:  # paho-mqtt 2.x
            self._client = paho.Client(version.VERSION2, client_id=client_id, clean_session=clean_session)
        else:  # 1.x (Debian 12)
            self._client = paho.Client(client_id=client_id, clean_session=clean_session)
        password = _password(config)
        if config.username is not None:
            self._client.username_pw_set(config.username, password)
        if config.tls is not None:
            import ssl  # only here: the daemon leaves OpenSSL out when the broker is not reached over TLS

            tls = config.tls
            self._client.tls_set(ca_certs=str(tls.ca_file), certfile=tls.cert_file and str(tls.cert_file),
                                 keyfile=tls.key_file and str(tls.key_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        if will is not None:
            self._client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
        self._client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self._client.max_inflight_messages_set(100)
        # Both versions call back with (client, userdata, ...): the reason code is the 4th argument of
        # on_connect in both; on_publish's mid is the 3rd.
        self._client.on_connect = lambda _c, _u, _flags, rc, *_rest: self._connected(rc)
        self._client.on_disconnect = lambda _c, _u, *rest: self._disconnected(rest)
        self._client.on_publish = lambda _c, _u, mid, *_rest: self.on_publish(mid)
        self._client.on_message = lambda _c, _u, msg: self.on_message(msg.topic, msg.payload, bool(msg.retain))
        self.connected = False
        self._closing = False
        self.on_connect: Callable[[], None] = lambda: None
        self.on_disconnect: Callable[[], None] = lambda: None
        self.on_publish: Callable[[int], None] = lambda mid: None
        #: (topic, payload, retained: sent by the broker from its store, not live)
        self.on_message: Callable[[str, bytes, bool], None] = lambda topic, payload, retained: None

    def _connected(self, rc: object) -> None:
        failed = getattr(rc, "is_failure", None)
        if failed if failed is not None else rc != 0:
            log.warning("MQTT broker %s refused the connection: %s", self._config.host, rc)
            return
        self.connected = True
        log.info("connected to the MQTT broker %s:%d", self._config.host, broker_port(self._config))
        self.on_connect()

    def _disconnected(self, rest: tuple) -> None:
        was, self.connected = self.connected, False
        if was and not self._closing:
            log.warning("lost the MQTT broker %s (reconnecting)", self._config.host)
        self.on_disconnect()

    def start(self) -> None:
        """Connect in the background (retrying until the broker answers) and run the network thread."""
        self._client.connect_async(self._config.host, broker_port(self._config),
                                   keepalive=max(1, round(self._config.keepalive_s)))
        self._client.loop_start()

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> int | None:
        """Queue a QoS 1 message; its mid (`on_publish(mid)` follows the broker's ack), or None when offline."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        return info.mid if info.rc == self._success else None

    def subscribe(self, topic: str) -> None:
        self._client.subscribe(topic, qos=1)

    def close(self) -> None:
        """Disconnect cleanly (the will is not sent) and stop the network thread."""
        self._closing = True
        self._client.disconnect()
        self._client.loop_stop()
