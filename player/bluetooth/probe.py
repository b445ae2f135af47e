"""One look at BlueZ and BlueALSA for the doctor (run as the service's user by its worker)."""

from __future__ import annotations

from player.bluetooth.bluealsa import BlueAlsa
from player.bluetooth.bluez import BlueZ
from player.bluetooth.bus import Bus, BusRefused, ServiceMissing
from player.errors import BluetoothFailed


async def probe(address: str) -> dict:
    """``{"error"}`` without a bus; else ``{"bluez", "bluez_error", "adapter", "device", "bluealsa",
    "bluealsa_error", "bluealsa_refused"}``."""
    try:
        bus = await Bus.connect()
    except BluetoothFailed as exc:
        return {"error": str(exc)}
    out: dict = {"bluez": False, "bluez_error": None, "adapter": None, "device": None, "bluealsa": False,
                 "bluealsa_error": None, "bluealsa_refused": False}
    try:
        bluez = BlueZ(bus)
        try:
            _, props = await bluez.adapter()
            out["adapter"] = {"address": props.get("Address"), "powered": bool(props.get("Powered"))}
            info = await bluez.device(address)
            out["device"] = info.as_dict() if info else None
            out["bluez"] = True
        except BluetoothFailed as exc:
            out["bluez"] = not isinstance(exc, ServiceMissing)
            out["bluez_error"] = str(exc)
        try:
            await BlueAlsa(bus).pcms()
            out["bluealsa"] = True
        except BluetoothFailed as exc:
            out["bluealsa_error"] = str(exc)
            out["bluealsa_refused"] = isinstance(exc, BusRefused)
    finally:
        bus.close()
    return out
