"""List the ALSA playback devices and which of them take two streams at once, and the BlueALSA PCMs.

Every crossfade plays two tracks on audio.device at the same time, so pick a device marked
"two streams: yes" (usually the card's default:CARD=<name> or dmix:CARD=<name>; a hw:
device takes one). Each device is opened twice and closed again without a sound. Run with
sudo to try them as the service's user. A device the running player holds may show busy.
Connected Bluetooth headphones appear as their BlueALSA PCM (bluealsa:DEV=...,PROFILE=a2dp),
listed from BlueALSA's D-Bus API ("two_streams" is then null: BlueALSA is asked, not opened).
"""

from __future__ import annotations

import argparse
import asyncio
import json

from player.config import load_config
from player.doctor import System
from player.errors import AudioFailed, BluetoothFailed

NAME = "devices"
HELP = "list ALSA playback devices and which can take two streams (a crossfade needs two)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help='print [{"device", "description", "two_streams", '
                        '"error", "configured"}, ...]')


def run(args: argparse.Namespace) -> int:
    configured = load_config(args.config).audio.device
    system = System()
    found = system.playback_devices()
    if "devices" not in found:
        raise AudioFailed(f"cannot list the ALSA devices: {found.get('error')}")
    rows = [dict(row, configured=row["device"] == configured) for row in found["devices"]]
    bt_rows, bt_note = bluealsa_rows()
    rows += [dict(row, configured=row["device"] == configured) for row in bt_rows]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"ALSA playback devices (opened as {system.identity}; audio.device is {configured}):")
    for row in rows:
        mark = "*" if row["configured"] else " "
        verdict = "yes" if row["two_streams"] else "BlueALSA mixes them" if row["two_streams"] is None \
            else f"no ({row['error']})"
        print(f"{mark} {row['device']}\n      {row['description']}\n      two streams: {verdict}")
    if bt_note:
        print(f"Bluetooth: {bt_note}")
    if not any(row["configured"] for row in rows):
        print(f"audio.device {configured} is not in this list (a name such as hw:0 or plug:dmix is still tried by "
              "'session-player doctor')")
    return 0


def bluealsa_rows() -> tuple[list[dict], str]:
    """The BlueALSA playback PCMs as device rows, and a note when there are none to list (or no BlueALSA)."""
    try:
        from player.bluetooth.bluealsa import BlueAlsa
        from player.bluetooth.bluez import BlueZ
        from player.bluetooth.bus import Bus
        from player.core.bluetooth import alsa_pcm
    except ImportError:
        return [], "python3-dbus-fast is not installed: BlueALSA PCMs are not listed"

    async def work() -> list[dict]:
        bus = await Bus.connect()
        try:
            pcms = await BlueAlsa(bus).pcms()
            names = {d.address: d.name for d in await BlueZ(bus).devices()} if pcms else {}
        finally:
            bus.close()
        return [{"device": alsa_pcm(p.address), "description": f"{names.get(p.address) or p.address} (Bluetooth, "
                 f"BlueALSA {p.path})", "two_streams": None, "error": None} for p in pcms if p.address]
    try:
        rows = asyncio.run(work())
    except BluetoothFailed as exc:
        return [], str(exc)
    return rows, "" if rows else "no headphones connected through BlueALSA"
