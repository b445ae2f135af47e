"""The probes that must run as the service runs: its user, its working directory, in a child process.

`System` starts ``python -m player.doctor.worker PROBE ARGS...`` (through ``runuser`` when the
doctor runs as root), which prints one JSON object. A child also keeps libasound's messages
on stderr out of the doctor's output.

    two-streams DEVICE                    open two streams on DEVICE; if it fails, try the alternatives
    devices                               every playback PCM and whether it takes two streams
    pin-factory NAME                      the working directory is writable, the gpiozero factory loads
                                          ("problem": "cwd-readonly" or "factory" when not)
    bluetooth ADDRESS                     BlueZ, its adapter, the headset's pairing, BlueALSA and whether
                                          it admits this user (player.doctor.bluetooth)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence


def _two_streams(device: str) -> dict:
    from player.audio.alsa import Alsa, alternatives

    alsa = Alsa()
    probe = alsa.open_streams(device)
    result = {"device": device, "opened": probe.opened, "error": probe.error, "alternatives": []}
    if not probe.ok:
        candidates = alternatives(device, alsa.playback_devices())
        result["alternatives"] = [{"device": name, "ok": (p := alsa.open_streams(name)).ok, "error": p.error}
                                  for name in candidates]
    return result


def _devices() -> dict:
    from player.audio.alsa import Alsa

    alsa = Alsa()
    rows = []
    for dev in alsa.playback_devices():
        probe = alsa.open_streams(dev.name)
        rows.append({"device": dev.name, "description": dev.description, "two_streams": probe.ok,
                     "error": probe.error})
    return {"devices": rows}


def _pin_factory(name: str) -> dict:
    cwd = os.getcwd()
    try:
        fd, probe = tempfile.mkstemp(prefix=".session-player-doctor-", dir=cwd)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return {"ok": False, "cwd": cwd, "problem": "cwd-readonly",
                "error": f"cannot create a file in the working directory {cwd}: {exc.strerror} "
                "(lgpio makes its notification pipe there)"}
    from player.errors import HardwareUnavailable
    from player.hardware.pins import make_pin_factory

    try:
        factory = make_pin_factory(name)
    except HardwareUnavailable as exc:
        return {"ok": False, "cwd": cwd, "problem": "factory", "error": str(exc)}
    factory.close()
    return {"ok": True, "cwd": cwd, "error": None}


def _bluetooth(address: str) -> dict:
    try:
        from player.bluetooth.probe import probe
    except ImportError as exc:
        return {"error": f"{exc.name} is missing: the player cannot talk to BlueZ"}
    import asyncio

    return asyncio.run(probe(address))


def main(argv: Sequence[str]) -> int:
    probe, args = argv[0], list(argv[1:])
    try:
        if probe == "two-streams":
            result = _two_streams(args[0])
        elif probe == "devices":
            result = _devices()
        elif probe == "pin-factory":
            result = _pin_factory(args[0])
        elif probe == "bluetooth":
            result = _bluetooth(args[0])
        else:
            raise SystemExit(f"unknown probe {probe!r}")
    except OSError as exc:
        result = {"ok": False, "error": str(exc)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
