"""BlueZ (org.bluez) as the chair uses it: the adapter, devices, pairing, trust, connecting, battery.

Devices are read from BlueZ's object tree (GetManagedObjects), so a device BlueZ forgot is
simply absent. Scanning is only ever started by the technician (`session-player bluetooth
scan`), never by the player.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass

from dbus_fast import Variant

from player.bluetooth.bus import Bus
from player.core.bluetooth import address_of, device_path
from player.errors import BluetoothFailed

BLUEZ = "org.bluez"
ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
BATTERY = "org.bluez.Battery1"
AGENT_MANAGER = "org.bluez.AgentManager1"
A2DP_SINK_UUID = "0000110b-0000-1000-8000-00805f9b34fb"   # a device that plays what we send


@dataclass(frozen=True)
class DeviceInfo:
    """One device as BlueZ knows it (`battery_percent` when it reports Battery1)."""

    address: str
    name: str
    paired: bool
    trusted: bool
    connected: bool
    audio_sink: bool
    path: str
    battery_percent: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _device(path: str, ifaces: dict) -> DeviceInfo:
    props = ifaces[DEVICE]
    battery = ifaces.get(BATTERY, {}).get("Percentage")
    return DeviceInfo(address=str(props.get("Address") or address_of(path) or "?"),
                      name=str(props.get("Alias") or props.get("Name") or ""),
                      paired=bool(props.get("Paired")), trusted=bool(props.get("Trusted")),
                      connected=bool(props.get("Connected")),
                      audio_sink=A2DP_SINK_UUID in [u.lower() for u in props.get("UUIDs", [])],
                      path=path, battery_percent=None if battery is None else int(battery))


class BlueZ:
    """Calls on BlueZ over a connected `Bus`; every failure is a `BluetoothFailed` with its fix."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def _objects(self) -> dict[str, dict]:
        return await self.bus.managed_objects(BLUEZ)

    async def adapter(self) -> tuple[str, dict]:
        """(path, properties) of the first adapter (hci0 on a Pi)."""
        adapters = sorted((p, i[ADAPTER]) for p, i in (await self._objects()).items() if ADAPTER in i)
        if not adapters:
            raise BluetoothFailed("no Bluetooth adapter (is the radio blocked? 'rfkill unblock bluetooth')")
        return adapters[0]

    async def power_on(self) -> None:
        path, props = await self.adapter()
        if not props.get("Powered"):
            await self.bus.set(BLUEZ, path, ADAPTER, "Powered", "b", True)

    async def devices(self) -> list[DeviceInfo]:
        return sorted((_device(p, i) for p, i in (await self._objects()).items() if DEVICE in i),
                      key=lambda d: (not d.audio_sink, d.name, d.address))

    async def device(self, address: str) -> DeviceInfo | None:
        return next((d for d in await self.devices() if d.address.upper() == address), None)

    async def path_of(self, address: str) -> str:
        """The device's object path (under the adapter), whether BlueZ knows it yet or not."""
        known = await self.device(address)
        return known.path if known else device_path((await self.adapter())[0], address)

    async def scan(self, seconds: float) -> list[DeviceInfo]:
        """Discover for `seconds`, then every device BlueZ knows (the technician's command only)."""
        path = await self._start_discovery()
        try:
            await asyncio.sleep(seconds)
        finally:
            await self._stop_discovery(path)
        return await self.devices()

    async def _start_discovery(self) -> str:
        path, _ = await self.adapter()
        await self.power_on()
        # A2DP headphones are classic (BR/EDR) devices: no Bluetooth LE advertisers in the list
        await self.bus.call(BLUEZ, path, ADAPTER, "SetDiscoveryFilter", "a{sv}", [{"Transport": Variant("s", "bredr")}])
        await self.bus.call(BLUEZ, path, ADAPTER, "StartDiscovery")
        return path

    async def _stop_discovery(self, path: str) -> None:
        with contextlib.suppress(BluetoothFailed):   # discovery already ended (another client stopped it)
            await self.bus.call(BLUEZ, path, ADAPTER, "StopDiscovery")

    async def find(self, address: str, seconds: float) -> DeviceInfo | None:
        """The device, discovering up to `seconds` when BlueZ does not know it (it forgets an unpaired one 30 s
        after a scan, so `pair` looks again rather than send the technician back to `scan`)."""
        info = await self.device(address)
        if info is not None or seconds <= 0:
            return info
        path = await self._start_discovery()
        try:
            deadline = asyncio.get_running_loop().time() + seconds
            while info is None and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.25)
                info = await self.device(address)
        finally:
            await self._stop_discovery(path)
        return info

    async def pair(self, address: str, discover_s: float = 0.0) -> DeviceInfo:
        """Pair (unless paired), trust (so it may reconnect by itself) and connect; discover it first if need be."""
        info = await self.find(address, discover_s)
        if info is None:
            raise BluetoothFailed(f"{address} was not found: put the headphones in pairing mode (and near the chair), "
                                  "then 'session-player bluetooth scan' to see what is in range")
        if not info.paired:
            await self.bus.call(BLUEZ, info.path, DEVICE, "Pair")
        await self.bus.set(BLUEZ, info.path, DEVICE, "Trusted", "b", True)
        if not info.connected:
            await self.connect(address)
        return await self.device(address) or info

    async def connect(self, address: str) -> None:
        await self.bus.call(BLUEZ, await self.path_of(address), DEVICE, "Connect")

    async def forget(self, address: str) -> bool:
        """Remove the pairing; False when BlueZ did not know the device."""
        info = await self.device(address)
        if info is None:
            return False
        adapter, _ = await self.adapter()
        await self.bus.call(BLUEZ, adapter, ADAPTER, "RemoveDevice", "o", [info.path])
        return True

    async def register_agent(self, path: str) -> None:
        """Make the agent exported at `path` BlueZ's default (NoInputNoOutput: "just works" pairing)."""
        await self.bus.call(BLUEZ, "/org/bluez", AGENT_MANAGER, "RegisterAgent", "os", [path, "NoInputNoOutput"])
        await self.bus.call(BLUEZ, "/org/bluez", AGENT_MANAGER, "RequestDefaultAgent", "o", [path])

    async def unregister_agent(self, path: str) -> None:
        await self.bus.call(BLUEZ, "/org/bluez", AGENT_MANAGER, "UnregisterAgent", "o", [path])
