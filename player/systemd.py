"""sd_notify in a few lines (as gunicorn's systemd.py): READY, STATUS, WATCHDOG, STOPPING.

A no-op without ``NOTIFY_SOCKET`` (a terminal, the tests, `session-player demo`), and it
never raises: a notify that fails must not take the player down.
"""

from __future__ import annotations

import logging
import os
import socket

from player.engine.inputs import Notifier

log = logging.getLogger(__name__)


class SystemdNotifier(Notifier):
    """Sends notify messages to the socket systemd names in ``NOTIFY_SOCKET``."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET") if address is None else address
        if address and address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace
        self._address = address or None

    def notify(self, message: str) -> bool:
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode("utf-8"), self._address)
            return True
        except OSError as exc:
            log.debug("sd_notify %r failed: %s", message, exc)
            return False

    def ready(self) -> None:
        self.notify("READY=1")

    def status(self, text: str) -> None:
        self.notify("STATUS=" + text.replace("\n", " "))

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")
