"""The one door to the session: the `Controller` protocol and `check_control` (controller.py),
`FakeController` running the real core (fake.py), and the control socket: how the CLI (and
the USB unit) reach the running daemon.

`server.ControlSocketServer` serves the session's `Controller` on a Unix socket (owner and
group only); `client.send_request` is the other end. The server, not the client, says
who is asking: every control from the socket is recorded with source ``cli`` and the
caller's uid, gid and pid, read from the kernel (SO_PEERCRED).
"""

from player.control.client import daemon_session_active, send_request
from player.control.server import ControlSocketServer

__all__ = ["ControlSocketServer", "daemon_session_active", "send_request"]
