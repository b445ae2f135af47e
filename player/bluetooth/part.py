"""The daemon's Bluetooth part: the gate around the audio output, and the headset keeper beside the engine.

The daemon builds it before the mixer (the mixer plays through `output`), starts it once the
session engine runs, reads `status()` into the status's ``bluetooth`` block and closes it
before the engine. Without python3-dbus-fast the gate stays shut (the headphones count as
disconnected, nothing plays anywhere else) and `start` returns the fault to show.
"""

from __future__ import annotations

import logging

from player.audio.api import AudioOutput
from player.bluetooth.gate import HeadsetGate
from player.clock import Clock
from player.config import BluetoothConfig
from player.errors import SessionRefused
from player.session.control import Controller

log = logging.getLogger(__name__)


class HeadsetPart:
    def __init__(self, config: BluetoothConfig, output: AudioOutput, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self.output = HeadsetGate(output)
        self._keeper = None
        self._controller: Controller | None = None
        self._fault: str | None = None

    def __repr__(self) -> str:
        return f"<HeadsetPart {self._config.address}>"

    def start(self, controller: Controller) -> str | None:
        """Start keeping the headset; returns a fault to show when that is impossible here."""
        self._controller = controller
        try:
            from player.bluetooth.keeper import HeadsetKeeper
        except ImportError as exc:
            self._fault = f"bluetooth: {exc.name} is missing (sudo apt install python3-dbus-fast)"
            log.error("%s", self._fault)
            return self._fault
        self._keeper = HeadsetKeeper(self._config, on_ready=self.output.headset, note=self._record,
                                     clock=self._clock)
        self._keeper.start()
        return None

    def _record(self, text: str) -> None:
        """A line in the session's log (a mark from "system"); outside a session, the journal has it."""
        if self._controller is None:
            return
        try:
            self._controller.submit("mark", source="system", text=text)
        except (SessionRefused, TimeoutError) as exc:
            log.info("not recorded in a session (%s): %s", exc, text)

    def status(self) -> dict:
        """``{"address", "name", "connected", "battery_percent", "volume_put_back", "error"}``."""
        if self._keeper is None:
            return {"address": self._config.address, "name": None, "connected": False, "battery_percent": None,
                    "volume_put_back": 0, "error": self._fault}
        return self._keeper.snapshot()

    def close(self) -> None:
        if self._keeper is not None:
            self._keeper.close()
