#!/usr/bin/env python3
"""Headset loss and return through the keeper, on the fake radio (dbusmock BlueZ + fake BlueALSA).

    python bench/bluetooth.py [--rounds 50]

Figures (p50 / p99 / max, milliseconds), each with the floor measured in the same run:
- floor: the headset "switched off" (the bench's call to the mock begins, on a new bus
  connection) -> a bare dbus-fast client subscribed to the device's PropertiesChanged has the
  signal (the bus itself).
- loss: the same moment -> the keeper tells the audio output the headphones are gone
  (what the engine then acts on: the music stops, the fault shows).
- return: the reconnect attempt comes due (a FakeClock moved on, the keeper poked) ->
  the keeper says ready: BlueZ's Connect, BlueALSA's PCMAdded, software volume set and checked.
No radio: this measures the player's own share and the D-Bus round trips, not a headset's
link setup (seconds, on real hardware).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dbus_fast import BusType, Message, MessageType  # noqa: E402
from dbus_fast.aio import MessageBus  # noqa: E402

from player.bluetooth.keeper import HeadsetKeeper  # noqa: E402
from player.clock import FakeClock  # noqa: E402
from player.config import BluetoothConfig  # noqa: E402
from tests.bluetooth.radio import ADDRESS, Radio, missing_tools  # noqa: E402


def figures(name: str, ms: list[float], floor: list[float] | None = None) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    line = f"{name:8} p50 {statistics.median(ms):7.2f}  p99 {p99:7.2f}  max {ms[-1]:7.2f} ms"
    if floor:
        line += f"   ({statistics.median(ms) / statistics.median(floor):.1f} x the floor's p50)"
    return line


class Floor:
    """A bare client on its own thread: when did the device's PropertiesChanged arrive."""

    def __init__(self, address: str, path: str) -> None:
        self.got = threading.Event()
        self.at = 0.0
        self._ready = threading.Event()
        threading.Thread(target=self._thread, args=(address, path), daemon=True).start()
        self._ready.wait(10)

    def _thread(self, address: str, path: str) -> None:
        with contextlib.suppress(EOFError, OSError):   # the private bus ends with the run
            asyncio.run(self._run(address, path))

    async def _run(self, address: str, path: str) -> None:
        bus = await MessageBus(bus_address=address, bus_type=BusType.SYSTEM).connect()

        def on(msg: Message) -> None:
            if msg.message_type == MessageType.SIGNAL and msg.path == path and msg.member == "PropertiesChanged":
                self.at = time.perf_counter()
                self.got.set()
        bus.add_message_handler(on)
        await bus.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                               interface="org.freedesktop.DBus", member="AddMatch", signature="s",
                               body=[f"type='signal',path='{path}',member='PropertiesChanged'"]))
        self._ready.set()
        await bus.wait_for_disconnect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        print(f"bench/bluetooth.py needs {', '.join(missing)}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.ERROR)    # the keeper's "headphones back" warnings, 2 per round
    radio = Radio().start()
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = radio.address
    said: dict[bool, threading.Event] = {True: threading.Event(), False: threading.Event()}
    at: dict[bool, float] = {}

    def told(ready: bool) -> None:
        at[ready] = time.perf_counter()
        said[ready].set()

    clock = FakeClock()
    try:
        radio.headset_in_pairing_mode()
        radio.mock("/", "PairDevice", "ssi", ["hci0", ADDRESS, 0x240404])
        keeper = HeadsetKeeper(BluetoothConfig(ADDRESS), on_ready=told, clock=clock)
        keeper.start()
        assert said[True].wait(10)
        floor = Floor(radio.address, radio.path())
        floor_ms, loss_ms, back_ms = [], [], []
        for _ in range(args.rounds):
            for e in (*said.values(), floor.got):
                e.clear()
            t0 = time.perf_counter()
            radio.switched_off()
            assert said[False].wait(10) and floor.got.wait(10)
            floor_ms.append((floor.at - t0) * 1000)
            loss_ms.append((at[False] - t0) * 1000)
            clock.advance(1.0)
            t1 = time.perf_counter()
            keeper.poke()
            assert said[True].wait(10)
            back_ms.append((at[True] - t1) * 1000)
        keeper.close()
    finally:
        radio.stop()
    print(f"{args.rounds} losses and returns of the headset on the fake radio")
    print(figures("floor", floor_ms))
    print(figures("loss", loss_ms, floor_ms))
    print(figures("return", back_ms, floor_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
