"""BlueALSA (org.bluealsa) as the chair uses it: the headset's A2DP PCM and its volume.

The player writes to the PCM through ALSA (libVLC on ``bluealsa:DEV=...,PROFILE=a2dp``);
over D-Bus it only lists the PCMs and holds the volume: software volume on (BlueALSA scales
the samples, the headset's own amplifier is left alone) at a fixed level, so the player's
master level and cap stay the only level control.
"""

from __future__ import annotations

from dataclasses import dataclass

from player.bluetooth.bus import Bus
from player.core.bluetooth import address_of, decode_volume, encode_volume

BLUEALSA = "org.bluealsa"
MANAGER_PATH = "/org/bluealsa"
MANAGER = "org.bluealsa.Manager1"
PCM = "org.bluealsa.PCM1"


@dataclass(frozen=True)
class PcmInfo:
    """A playback PCM: the headset's A2DP sink (we are the A2DP source, so its Mode is "sink")."""

    path: str
    address: str | None
    transport: str
    volume: int
    soft_volume: bool

    def as_dict(self) -> dict:
        left, right, muted = decode_volume(self.volume)
        return {"path": self.path, "address": self.address, "transport": self.transport,
                "volume_percent": [left, right], "muted": muted, "soft_volume": self.soft_volume}


def is_playback(props: dict) -> bool:
    return props.get("Transport") == "A2DP-source" and props.get("Mode") == "sink"


class BlueAlsa:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def pcms(self) -> list[PcmInfo]:
        """The A2DP playback PCMs BlueALSA offers now (one per connected headset)."""
        (found,) = await self.bus.call(BLUEALSA, MANAGER_PATH, MANAGER, "GetPCMs")
        rows = []
        for path, props in sorted(found.items()):
            plain = {k: v.value for k, v in props.items()}
            if is_playback(plain):
                rows.append(PcmInfo(path, address_of(path), plain["Transport"], int(plain.get("Volume", 0)),
                                    bool(plain.get("SoftVolume"))))
        return rows

    async def pcm_of(self, address: str) -> PcmInfo | None:
        return next((p for p in await self.pcms() if p.address == address), None)

    async def fix_volume(self, path: str, percent: int) -> None:
        """Software volume on, both channels at `percent`, unmuted."""
        await self.bus.set(BLUEALSA, path, PCM, "SoftVolume", "b", True)
        await self.bus.set(BLUEALSA, path, PCM, "Volume", "q", encode_volume(percent))
