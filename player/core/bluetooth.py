"""Pure Bluetooth bookkeeping: addresses, object paths, BlueALSA's volume, the headset link's state.

No I/O and no clock of its own: `HeadsetLink` is told what BlueZ and BlueALSA reported and
what time it is, and answers whether the headphones just went ("lost") or came back
("back"), and when the next connection attempt is due (doubling from 1 s to a ceiling).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ADDRESS_RE = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2}){5}")
RETRY_FIRST_S = 1.0
A2DP_VOLUME_MAX = 127   # BlueALSA: 0-127 per channel for A2DP, the highest bit of each byte mutes it
MUTE_BIT = 0x80
HEADPHONES_LOST = "headphones disconnected"   # the fault staff see (page, LED, station)


def parse_address(value: object) -> str:
    """``AA:BB:CC:DD:EE:FF`` (upper case) from a string in either case; ValueError otherwise."""
    if not isinstance(value, str) or not ADDRESS_RE.fullmatch(value.strip().upper()):
        raise ValueError(f"expected a Bluetooth address such as AA:BB:CC:DD:EE:FF, got {value!r}")
    return value.strip().upper()


def device_path(adapter: str, address: str) -> str:
    """BlueZ's object path of `address` under `adapter` (e.g. /org/bluez/hci0)."""
    return f"{adapter}/dev_{address.replace(':', '_')}"


def address_of(path: str) -> str | None:
    """The address in a BlueZ device path or a BlueALSA PCM path, or None."""
    m = re.search(r"/dev_([0-9A-F]{2}(?:_[0-9A-F]{2}){5})(?:/|$)", path)
    return m.group(1).replace("_", ":") if m else None


def alsa_pcm(address: str) -> str:
    """The ALSA device name libVLC opens for the headset (A2DP only: no HFP/HSP)."""
    return f"bluealsa:DEV={address},PROFILE=a2dp"


def encode_volume(percent: int) -> int:
    """BlueALSA's Volume property for `percent` on both channels, unmuted."""
    step = round(A2DP_VOLUME_MAX * max(0, min(100, percent)) / 100)
    return (step << 8) | step


def decode_volume(raw: int) -> tuple[int, int, bool]:
    """(left %, right %, muted) from BlueALSA's Volume property (left in the upper byte)."""
    left, right = (raw >> 8) & 0xFF, raw & 0xFF
    muted = bool((left | right) & MUTE_BIT)
    return (round((left & 0x7F) * 100 / A2DP_VOLUME_MAX), round((right & 0x7F) * 100 / A2DP_VOLUME_MAX), muted)


@dataclass
class HeadsetLink:
    """The configured headset as the player sees it; `ready` = connected with its BlueALSA PCM present.

    Args:
        reconnect: try to connect whenever it is not connected (audio.bluetooth.reconnect).
        retry_max_s: the longest wait between attempts.
    """

    reconnect: bool
    retry_max_s: float
    connected: bool = False
    pcm: str | None = None
    ready: bool = False
    next_try: float = 0.0
    wait_s: float = RETRY_FIRST_S
    attempts: int = 0

    def update(self, now: float, *, connected: bool | None = None, pcm: str | None | Literal[""] = "") -> \
            Literal["lost", "back"] | None:
        """Take what BlueZ (`connected`) or BlueALSA (`pcm`: its path, None when gone) reported.

        Returns "lost" when the headphones just stopped being usable, "back" when they just
        became usable again, else None. A disconnection makes the next attempt due in 1 s.
        """
        if connected is not None:
            if self.connected and not connected:
                self.wait_s, self.next_try = RETRY_FIRST_S, now + RETRY_FIRST_S
            self.connected = connected
        if pcm != "":
            self.pcm = pcm
        usable = self.connected and self.pcm is not None
        if usable == self.ready:
            return None
        self.ready = usable
        if usable:
            self.wait_s, self.attempts = RETRY_FIRST_S, 0
        return "back" if usable else "lost"

    def due(self, now: float) -> bool:
        """Whether to ask BlueZ to connect now."""
        return self.reconnect and not self.connected and now >= self.next_try

    def tried(self, now: float, ok: bool) -> None:
        """An attempt ended: failed ones wait twice as long each time, up to `retry_max_s`."""
        self.attempts += 1
        if ok:
            self.wait_s = RETRY_FIRST_S
            self.next_try = now + RETRY_FIRST_S   # BlueZ reports Connected next; if it does not, try again
            return
        self.next_try = now + self.wait_s
        self.wait_s = min(self.wait_s * 2, self.retry_max_s)

    def wait(self, now: float) -> float | None:
        """Seconds until the next attempt is due (0 when due), None when none will be made."""
        if not self.reconnect or self.connected:
            return None
        return max(0.0, self.next_try - now)
