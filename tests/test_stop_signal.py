"""The main thread's stop: it sleeps without a timer, and SIGTERM at any moment ends the wait."""

from __future__ import annotations

import os
import signal
import threading

from player.stop_signal import StopSignal
from tests.support.wakeups import wakeups


def test_a_sigterm_that_came_before_the_wait_ends_it_at_once() -> None:
    stop = StopSignal()
    stop.install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)        # e.g. while the daemon was still starting
        stop.wait()
        assert stop.requested
    finally:
        stop.close()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_wait_sleeps_until_a_signal_arrives() -> None:
    stop = StopSignal()
    stop.install()
    sender = threading.Timer(3.5, os.kill, (os.getpid(), signal.SIGINT))
    sender.start()
    try:
        before = wakeups(threading.get_native_id())
        stop.wait()
        woken = wakeups(threading.get_native_id()) - before
    finally:
        sender.join()
        stop.close()
    assert stop.requested
    assert woken <= 2       # by the signal itself; a timer of 1 s (the old wait) wakes it 3 times more
