"""SIGTERM and SIGINT for a long-running command's main thread, which then sleeps until one comes.

The main thread of `session-player run` has nothing to do for the whole session but wait for
systemd's SIGTERM; a wait with a timeout would wake it every second for hours, CPU the audio
could use on a small Pi. Here it sleeps in `select` on a pipe that the C-level signal handler
writes to (`signal.set_wakeup_fd`), so a signal that arrives at any moment, even just before the
wait begins, ends the wait at once. The Python-level handler only sets a flag: it runs on the
main thread, which may be inside a daemon's `start()`, and takes no lock there.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignal:
    """`install()` on the main thread before starting; `wait()` returns once a stop was asked for."""

    def __init__(self) -> None:
        self.requested = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def __repr__(self) -> str:
        return f"<StopSignal {'requested' if self.requested else 'waiting'}>"

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    def install(self) -> None:
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for signum in SIGNALS:
            signal.signal(signum, self._handle)

    def wait(self) -> None:
        """Sleep until SIGTERM or SIGINT (at once if one came already)."""
        while not self.requested:
            select.select([self._read], [], [])
            with contextlib.suppress(BlockingIOError):
                os.read(self._read, 512)

    def close(self) -> None:
        """Give the signals back (the default handlers) and close the pipe."""
        signal.set_wakeup_fd(-1)
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler)
        os.close(self._read)
        os.close(self._write)
