"""Run the nursing station: every chair's tile on one page, from the MQTT broker.

The station's config file has the same mqtt: and web: sections as a chair's (no room is
needed), plus station: (title, chair_urls). Staff open the page with the token that
'session-player station-token' prints. Runs until SIGTERM or Ctrl-C; see docs/station.md.
"""

from __future__ import annotations

import argparse

from player.config import load_config
from player.stop_signal import StopSignal

NAME = "station"
HELP = "run the nursing station page (every chair, over MQTT)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from player.station.server import StationServer  # keeps aiohttp and paho out of every CLI start

    station = StationServer(load_config(args.config))
    stop = StopSignal()
    stop.install()
    station.start()
    try:
        stop.wait()
    finally:
        station.close()
        stop.close()
    return 0
