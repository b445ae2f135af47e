"""One D-Bus connection to the system bus (python3-dbus-fast) and calls whose errors read as fixes.

The system bus is ``$DBUS_SYSTEM_BUS_ADDRESS`` when set (the tests' private bus), else
/run/dbus/system_bus_socket. Every failure is a `BluetoothFailed` naming the service and what
to do: BlueZ or BlueALSA not running, or the bus refusing this user (BlueALSA's D-Bus policy
admits root and the group ``audio`` only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from player.errors import BluetoothFailed

PROPS = "org.freedesktop.DBus.Properties"
OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"
SERVICES = {"org.bluez": "BlueZ (bluetoothd)", "org.bluealsa": "BlueALSA (bluealsa)"}
FIXES = {"org.bluez": "sudo systemctl enable --now bluetooth",
         "org.bluealsa": "sudo apt install bluez-alsa-utils && sudo systemctl enable --now bluealsa"}


class ServiceMissing(BluetoothFailed):
    """BlueZ or BlueALSA is not running (no owner of its bus name)."""


class BusRefused(BluetoothFailed):
    """The system bus's policy refused this user (BlueALSA: not root, not in the group audio)."""


CALL_TIMEOUT_S = 30.0   # above BlueZ's own 25 s for a Connect that pages an absent headset
MISSING_ERRORS = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner")


def unpack(value: Any) -> Any:
    """Plain Python values from dbus-fast's Variants (recursively)."""
    if isinstance(value, Variant):
        return unpack(value.value)
    if isinstance(value, dict):
        return {k: unpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unpack(v) for v in value]
    return value


def explain(service: str, error_name: str, text: str) -> str:
    """What a D-Bus error from `service` means for the technician."""
    who = SERVICES.get(service, service)
    if error_name in MISSING_ERRORS:
        return f"{who} is not running ({FIXES.get(service, 'start it')})"
    if error_name == "org.freedesktop.DBus.Error.AccessDenied":
        return (f"the system bus refused this user access to {who}: {text} (BlueALSA admits root and the group "
                "audio: sudo adduser session-player audio, then restart the player)")
    return f"{who}: {error_name.rsplit('.', 1)[-1]}: {text}"


class Bus:
    """A connected system bus; `await Bus.connect()`, then `call`, `set`, `managed_objects`, `on_signal`, `close`."""

    def __init__(self, bus: MessageBus) -> None:
        self.raw = bus

    @classmethod
    async def connect(cls) -> Bus:
        try:
            return cls(await MessageBus(bus_type=BusType.SYSTEM).connect())
        except Exception as exc:  # noqa: BLE001 - dbus-fast raises OSErrors, its AuthError, ValueErrors
            raise BluetoothFailed(f"cannot reach the system D-Bus: {exc} (is dbus running?)") from None

    async def call(self, service: str, path: str, interface: str, member: str, signature: str = "",
                   body: list | None = None) -> list:
        """Call a method; returns the reply's body (Variants left as they are). Raises BluetoothFailed."""
        message = Message(destination=service, path=path, interface=interface, member=member, signature=signature,
                          body=body or [])
        try:
            reply = await asyncio.wait_for(self.raw.call(message), CALL_TIMEOUT_S)
        except TimeoutError:
            raise BluetoothFailed(f"{SERVICES.get(service, service)} did not answer {member} within "
                                  f"{CALL_TIMEOUT_S:g} s (frozen?)") from None
        if reply is None:
            return []
        if reply.message_type == MessageType.ERROR:
            text = reply.body[0] if reply.body else ""
            name = reply.error_name or ""
            kind = ServiceMissing if name in MISSING_ERRORS else BusRefused \
                if name == "org.freedesktop.DBus.Error.AccessDenied" else BluetoothFailed
            raise kind(explain(service, name, text))
        return reply.body

    async def set(self, service: str, path: str, interface: str, name: str, signature: str, value: Any) -> None:
        await self.call(service, path, PROPS, "Set", "ssv", [interface, name, Variant(signature, value)])

    async def managed_objects(self, service: str, path: str = "/") -> dict[str, dict[str, dict]]:
        (objects,) = await self.call(service, path, OBJECT_MANAGER, "GetManagedObjects")
        return unpack(objects)

    async def on_signal(self, handler: Callable[[Message], None], *, sender: str, members: tuple[str, ...]) -> None:
        """Deliver `sender`'s signals named one of `members` to `handler`, on the bus's loop.

        dbus-fast hands every incoming message to every handler, so the members are checked
        here too (a signal carries the sender's unique name, not `sender`).
        """
        for member in members:
            await self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s",
                            [f"type='signal',sender='{sender}',member='{member}'"])

        def filtered(msg: Message) -> None:
            if msg.message_type == MessageType.SIGNAL and msg.member in members:
                handler(msg)
        self.raw.add_message_handler(filtered)

    def close(self) -> None:
        self.raw.disconnect()
