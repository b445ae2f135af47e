"""List the ALSA playback devices and which of them take two streams at once.

Every crossfade plays two tracks on audio.device at the same time, so pick a device marked
"two streams: yes" (usually the card's default:CARD=<name> or dmix:CARD=<name>; a hw:
device takes one). Each device is opened twice and closed again without a sound. Run with
sudo to try them as the service's user. A device the running player holds may show busy.
"""

from __future__ import annotations

import argparse
import json

from player.config import load_config
from player.doctor import System
from player.errors import AudioFailed

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
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"ALSA playback devices (opened as {system.identity}; audio.device is {configured}):")
    for row in rows:
        mark = "*" if row["configured"] else " "
        verdict = "yes" if row["two_streams"] else f"no ({row['error']})"
        print(f"{mark} {row['device']}\n      {row['description']}\n      two streams: {verdict}")
    if not any(row["configured"] for row in rows):
        print(f"audio.device {configured} is not in this list (a name such as hw:0 or plug:dmix is still tried by "
              "'session-player doctor')")
    return 0
