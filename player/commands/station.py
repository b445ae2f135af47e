"""Run the nursing station: every chair's tile on one page, from the MQTT broker.

The station's config file has the same mqtt: and web: sections as a chair's (no room is
needed), plus station: (title, chair_urls). Staff open the page with the token that
'session-player station-token' prints. Runs until SIGTERM or Ctrl-C; see docs/station.md.
"""

from __future__ import annotations

import argparse
import signal
import threading

from player.config import load_config

NAME = "station"
HELP = "run the nursing station page (every chair, over MQTT)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from player.station.server import StationServer  # keeps aiohttp and paho out of every CLI start

    station = StationServer(load_config(args.config))
    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop_requested.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop_requested.set())
    station.start()
    try:
        while not stop_requested.wait(1.0):
            pass
    finally:
        station.close()
    return 0
