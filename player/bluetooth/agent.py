# ruff: noqa: UP037, F821, N802 - dbus-fast reads D-Bus signatures from string annotations
"""The pairing agent: NoInputNoOutput ("just works", the only kind headphones without a screen offer).

Exported only while `session-player bluetooth pair ADDRESS` runs, and it accepts only that
address: any other device asking to pair or to use a service in that minute is rejected.
"""

from __future__ import annotations

from dbus_fast import DBusError
from dbus_fast.service import ServiceInterface, method

from player.core.bluetooth import address_of

AGENT_PATH = "/org/sessionplayer/agent"
REJECTED = "org.bluez.Error.Rejected"


class PairingAgent(ServiceInterface):
    """org.bluez.Agent1 for one address; `asked` lists what BlueZ asked (for the technician and tests)."""

    def __init__(self, address: str) -> None:
        super().__init__("org.bluez.Agent1")
        self.address = address
        self.asked: list[str] = []

    def _check(self, what: str, device: str) -> None:
        self.asked.append(what)
        if address_of(device) != self.address:
            raise DBusError(REJECTED, f"only {self.address} may pair now")

    @method()
    def Release(self):
        self.asked.append("Release")

    @method()
    def RequestConfirmation(self, device: "o", passkey: "u"):
        self._check("RequestConfirmation", device)

    @method()
    def RequestAuthorization(self, device: "o"):
        self._check("RequestAuthorization", device)

    @method()
    def AuthorizeService(self, device: "o", uuid: "s"):
        self._check("AuthorizeService", device)

    @method()
    def RequestPinCode(self, device: "o") -> "s":
        self._check("RequestPinCode", device)
        return "0000"   # legacy headsets without Secure Simple Pairing use 0000

    @method()
    def RequestPasskey(self, device: "o") -> "u":
        self._check("RequestPasskey", device)
        return 0

    @method()
    def DisplayPinCode(self, device: "o", pincode: "s"):
        self._check("DisplayPinCode", device)

    @method()
    def DisplayPasskey(self, device: "o", passkey: "u", entered: "q"):
        self._check("DisplayPasskey", device)

    @method()
    def Cancel(self):
        self.asked.append("Cancel")
