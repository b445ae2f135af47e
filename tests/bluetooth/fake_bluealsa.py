# ruff: noqa: UP037, F821, F722, N802 - dbus-fast reads D-Bus signatures from string annotations
"""A small fake BlueALSA (org.bluealsa) on the tests' private system bus, written with dbus-fast.

Like the real service it follows BlueZ: when a device's Connected turns true it offers an A2DP
playback PCM for it (Transport "A2DP-source", Mode "sink", a Volume property, SoftVolume off and
the volume at 100 % as a freshly connected headset has), and removes it when Connected turns
false. ``python fake_bluealsa.py`` runs until killed; it prints "ready" once it owns the name.
"""

from __future__ import annotations

import asyncio
import sys

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method, signal

ROOT = "/org/bluealsa"


class Pcm(ServiceInterface):
    def __init__(self, device: str) -> None:
        super().__init__("org.bluealsa.PCM1")
        self.device = device
        self._volume = 0x7F7F
        self._soft = False

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> "o":
        return self.device

    @dbus_property(access=PropertyAccess.READ)
    def Transport(self) -> "s":
        return "A2DP-source"

    @dbus_property(access=PropertyAccess.READ)
    def Mode(self) -> "s":
        return "sink"

    @dbus_property()
    def Volume(self) -> "q":
        return self._volume

    @Volume.setter
    def Volume(self, value: "q"):
        self._volume = value
        self.emit_properties_changed({"Volume": value})

    @dbus_property()
    def SoftVolume(self) -> "b":
        return self._soft

    @SoftVolume.setter
    def SoftVolume(self, value: "b"):
        self._soft = value
        self.emit_properties_changed({"SoftVolume": value})

    def props(self) -> dict:
        return {"Device": Variant("o", self.device), "Transport": Variant("s", "A2DP-source"),
                "Mode": Variant("s", "sink"), "Volume": Variant("q", self._volume),
                "SoftVolume": Variant("b", self._soft)}


class Manager(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.bluealsa.Manager1")
        self.pcms: dict[str, Pcm] = {}

    @method()
    def GetPCMs(self) -> "a{oa{sv}}":
        return {path: pcm.props() for path, pcm in self.pcms.items()}

    @signal()
    def PCMAdded(self, path: str, props: dict) -> "oa{sv}":
        return [path, props]

    @signal()
    def PCMRemoved(self, path: str) -> "o":
        return path


async def main() -> None:
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    manager = Manager()
    bus.export(ROOT, manager)

    def follow(device: str, connected: bool) -> None:
        path = ROOT + device.removeprefix("/org/bluez") + "/a2dpsrc/sink"
        if connected and path not in manager.pcms:
            pcm = manager.pcms[path] = Pcm(device)
            bus.export(path, pcm)
            manager.PCMAdded(path, pcm.props())
        elif not connected and path in manager.pcms:
            bus.unexport(path, manager.pcms.pop(path))
            manager.PCMRemoved(path)

    def on_message(msg: Message) -> None:
        if (msg.message_type == MessageType.SIGNAL and msg.member == "PropertiesChanged"
                and msg.body[0] == "org.bluez.Device1" and "Connected" in msg.body[1]):
            follow(msg.path, bool(msg.body[1]["Connected"].value))

    bus.add_message_handler(on_message)
    await bus.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                           interface="org.freedesktop.DBus", member="AddMatch", signature="s",
                           body=["type='signal',sender='org.bluez',member='PropertiesChanged'"]))
    reply = await bus.call(Message(destination="org.bluez", path="/", member="GetManagedObjects",
                                   interface="org.freedesktop.DBus.ObjectManager"))
    if reply.message_type == MessageType.METHOD_RETURN:
        for path, ifaces in reply.body[0].items():
            device = ifaces.get("org.bluez.Device1")
            if device and device["Connected"].value:
                follow(path, True)
    await bus.request_name("org.bluealsa")
    print("ready", flush=True)
    await bus.wait_for_disconnect()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
