"""Run the player daemon (what the systemd unit starts).

Starts the session engine (resuming a session cut short by a power cut), the control
socket, the bedside button and LED, and the staff web page, then runs until SIGTERM or
Ctrl-C. Tells systemd READY=1 once audio and the engine are up, the phase in STATUS=,
and pings the watchdog from the engine loop.
"""

from __future__ import annotations

import argparse
import gc

from player.config import load_config
from player.stop_signal import StopSignal
from player.systemd import SystemdNotifier
from player.without_openssl import leave_out_openssl

NAME = "run"
HELP = "run the player daemon (systemd starts this)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pin-factory", choices=("lgpio", "rpigpio", "pigpio", "native", "mock"),
                        help="override hardware.pin_factory (mock: no GPIO, e.g. on a laptop)")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    leave_out_openssl(config)          # before the daemon's code imports hashlib and the web page's asyncio
    from player.daemon import Daemon

    pin_factory = None
    if args.pin_factory == "mock":
        from gpiozero.pins.mock import MockFactory, MockPWMPin

        pin_factory = MockFactory(pin_class=MockPWMPin)
    notifier = SystemdNotifier()
    daemon = Daemon(config, pin_factory, notifier=notifier)
    daemon.import_edges()
    # The code imported so far is most of the heap (the web page's modules double it) and lives as
    # long as the daemon: keep the cyclic collector from walking it again and again. The one walk
    # here (~20 ms of CPU holding the GIL; 0.4 s of a 5 % budget) runs before the engine can make
    # a sound, never beside a resumed session's first sound. What `start` builds lives as long
    # too: frozen after it without a walk (a freeze is a list splice).
    gc.collect()
    gc.freeze()
    stop = StopSignal()
    stop.install()
    try:
        daemon.start()
        gc.freeze()
        stop.wait()
    finally:
        notifier.stopping()
        daemon.stop()        # a second SIGTERM meanwhile only sets the flag again: the fade goes on
        stop.close()
    return 0
