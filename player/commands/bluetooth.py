"""Pair the chair's Bluetooth headphones and see them: scan, pair ADDRESS, forget, status.

For the technician (docs/technician.md#bluetooth-headphones). Talks to BlueZ and BlueALSA over
the system D-Bus directly, so it works whether the player runs or not; `scan` refuses while a
session runs (discovery disturbs the headset's audio link, and Wi-Fi on a Pi), and so does
`pair`, which discovers the headset again if BlueZ forgot it since the scan. `pair` pairs
with a NoInputNoOutput agent ("just works"; only ADDRESS is accepted meanwhile), trusts the
headset so it may reconnect by itself, connects it, and prints the audio section for the
config. `status --json` prints {"address", "name", "connected", "battery_percent", "paired",
"trusted", "pcm", "adapter"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable

from player.config import Config, load_config
from player.control import send_request
from player.core.bluetooth import alsa_pcm, parse_address
from player.errors import BluetoothFailed, DaemonUnreachable

NAME = "bluetooth"
HELP = "pair the headphones and show them: scan | pair ADDRESS | forget [ADDRESS] | status [--json]"
SCAN_S = 10.0
PAIR_FIND_S = 20.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bt_action", metavar="ACTION", required=True)
    scan = sub.add_parser("scan", help="discover devices nearby (headphones in pairing mode), never during a session")
    scan.add_argument("--seconds", type=float, default=SCAN_S, help=f"how long to listen (default {SCAN_S:g})")
    scan.add_argument("--json", action="store_true", help="print the devices as JSON")
    pair = sub.add_parser("pair", help="pair, trust and connect ADDRESS; print the config lines for it")
    pair.add_argument("address", help="the headset's address, from 'session-player bluetooth scan'")
    pair.add_argument("--seconds", type=float, default=PAIR_FIND_S,
                      help=f"how long to look for it when BlueZ no longer knows it (default {PAIR_FIND_S:g})")
    forget = sub.add_parser("forget", help="remove the pairing (default: audio.bluetooth.address)")
    forget.add_argument("address", nargs="?", help="the address to forget")
    status = sub.add_parser("status", help="the configured headset: connected, battery, its BlueALSA PCM")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    for action in (scan, pair, forget, status):   # also after the action: 'bluetooth status --config FILE'
        action.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="config file")
        action.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="tracebacks")


def _address(value: str) -> str:
    try:
        return parse_address(value)
    except ValueError as exc:
        raise BluetoothFailed(str(exc)) from None


def _with_bus(work: Callable[..., Awaitable[object]]) -> object:
    """Run `work(bus)` on a fresh system-bus connection."""
    from player.bluetooth.bus import Bus  # dbus-fast is needed only by this command

    async def go() -> object:
        bus = await Bus.connect()
        try:
            return await work(bus)
        finally:
            bus.close()
    return asyncio.run(go())


def _no_session(config: Config) -> None:
    try:
        state = send_request(config.client_socket_path, {"action": "status"}, timeout_s=5).get("state")
    except DaemonUnreachable:
        return
    if state in ("playing", "paused", "faulted"):
        raise BluetoothFailed(f"a session is {state}: scanning would disturb the headphones' audio; scan between "
                              "sessions")


def scan(config: Config, seconds: float, as_json: bool) -> int:
    from player.bluetooth.bluez import BlueZ

    _no_session(config)
    found = _with_bus(lambda bus: BlueZ(bus).scan(seconds))
    if as_json:
        print(json.dumps([d.as_dict() for d in found], indent=2))
        return 0
    print(f"{len(found)} device(s) (headphones first; put yours in pairing mode and scan again if it is missing):")
    for d in found:
        kind = "headphones/speaker" if d.audio_sink else "other"
        flags = ", ".join(f for f, on in (("paired", d.paired), ("trusted", d.trusted), ("connected", d.connected))
                          if on)
        print(f"  {d.address}  {d.name or '(no name)'}  [{kind}{', ' + flags if flags else ''}]")
    return 0


def pair(config: Config, address: str, discover_s: float) -> int:
    from player.bluetooth.agent import AGENT_PATH, PairingAgent
    from player.bluetooth.bluez import BlueZ

    async def work(bus):
        bluez = BlueZ(bus)
        await bluez.power_on()
        agent = PairingAgent(address)
        bus.raw.export(AGENT_PATH, agent)
        await bluez.register_agent(AGENT_PATH)
        try:
            return await bluez.pair(address, discover_s)
        finally:
            await bluez.unregister_agent(AGENT_PATH)
            bus.raw.unexport(AGENT_PATH, agent)

    info = _with_bus(work)
    print(f"paired, trusted and connected: {info.address} {info.name}")
    current = config.audio.bluetooth
    if current is not None and current.address == address and config.audio.device == alsa_pcm(address):
        print(f"{config.source} already plays to it")
        return 0
    print(f"now set in {config.source if config.source != '<defaults>' else '/etc/session-player/config.yaml'}:\n"
          f"audio:\n  device: \"{alsa_pcm(address)}\"\n  bluetooth:\n    address: \"{address}\"\n"
          "then 'session-player config' to check it and 'sudo systemctl restart session-player'")
    return 0


def forget(config: Config, address: str | None) -> int:
    from player.bluetooth.bluez import BlueZ

    if address is None:
        if config.audio.bluetooth is None:
            raise BluetoothFailed("no address given and audio.bluetooth is not set")
        address = config.audio.bluetooth.address
    known = _with_bus(lambda bus: BlueZ(bus).forget(address))
    print(f"forgot {address}" if known else f"{address} was not paired")
    return 0


def headset_status(address: str) -> dict:
    """The headset as BlueZ and BlueALSA see it now (the CLI's status; the daemon has its own)."""
    from player.bluetooth.bluealsa import BlueAlsa
    from player.bluetooth.bluez import BlueZ

    async def work(bus):
        bluez = BlueZ(bus)
        path, adapter = await bluez.adapter()
        info = await bluez.device(address)
        try:
            pcm = await BlueAlsa(bus).pcm_of(address)
            pcm_row, error = (pcm.as_dict() if pcm else None), None
        except BluetoothFailed as exc:
            pcm_row, error = None, str(exc)
        return {"address": address, "name": info.name if info else None,
                "connected": bool(info and info.connected), "battery_percent": info.battery_percent if info else None,
                "paired": bool(info and info.paired), "trusted": bool(info and info.trusted), "pcm": pcm_row,
                "adapter": {"path": path, "address": adapter.get("Address"), "powered": bool(adapter.get("Powered"))},
                "error": error}
    return _with_bus(work)  # type: ignore[return-value]


def format_headset(st: dict) -> str:
    name = st.get("name") or "(unknown to BlueZ: pair it)"
    state = "connected" if st.get("connected") else "not connected"
    battery = f", battery {st['battery_percent']} %" if st.get("battery_percent") is not None else ""
    return f"{name} {st['address']}: {state}{battery}"


def status(config: Config, as_json: bool) -> int:
    if config.audio.bluetooth is None:
        raise BluetoothFailed("audio.bluetooth is not set: pair the headphones first ('session-player bluetooth "
                              "scan', then 'pair ADDRESS')")
    st = headset_status(config.audio.bluetooth.address)
    if as_json:
        print(json.dumps(st, indent=2))
        return 0
    print(f"headphones: {format_headset(st)}")
    print(f"paired: {'yes' if st['paired'] else 'no'}, trusted: {'yes' if st['trusted'] else 'no'}; adapter "
          f"{st['adapter']['address']} {'on' if st['adapter']['powered'] else 'OFF'}")
    pcm = st["pcm"]
    if pcm:
        print(f"BlueALSA: {pcm['path']}, volume {pcm['volume_percent'][0]} %, software volume "
              f"{'on' if pcm['soft_volume'] else 'off'}")
    else:
        print("BlueALSA: no PCM for it" + (f" ({st['error']})" if st["error"] else ""))
    return 0


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.bt_action == "scan":
        return scan(config, args.seconds, args.json)
    if args.bt_action == "pair":
        _no_session(config)   # pairing discovers, as a scan does
        return pair(config, _address(args.address), args.seconds)
    if args.bt_action == "forget":
        return forget(config, _address(args.address) if args.address else None)
    return status(config, args.json)
