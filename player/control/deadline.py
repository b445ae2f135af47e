"""The caller's deadline, carried from the client to the engine.

The client says when it sent a request (``sent_at``: its CLOCK_MONOTONIC, which every
process on the machine shares, and no wall-clock step moves) and how long it waits
(``timeout_s``). A daemon frozen by an SD-card stall or swap reads the line late; it then
knows the caller has given up and refuses the control instead of applying it. The server
bounds the wait: a client may not choose more than `MAX_WAIT_S`, nor make an old request
look new (a ``sent_at`` in the future counts as now). `peer_waiting` tells whether the
caller still holds the connection, so a control whose caller hung up is dropped too.
"""

from __future__ import annotations

import select
import socket

from player.errors import SessionRefused
from player.numbers import finite, shown

MAX_WAIT_S = 30.0         # the longest a client may ask the engine to take
DEFAULT_WAIT_S = 10.0     # a client that does not say (e.g. socat)
ANSWER_MARGIN_S = 0.5     # the engine stops this much before the caller's deadline, so the answer arrives


def engine_wait_s(sent_at: object, timeout_s: object, now: float) -> float:
    """How long the engine may still take over this control (at most `MAX_WAIT_S`).

    Args:
        sent_at: the client's ``time.monotonic()`` when it sent the request, or None (not said: now).
        timeout_s: how long the client waits for the answer, or None (`DEFAULT_WAIT_S`).
        now: the server's ``time.monotonic()`` on reading the request.

    Raises:
        SessionRefused: the numbers are not numbers, or the caller's deadline has passed.
    """
    wait = DEFAULT_WAIT_S
    if timeout_s is not None:
        given = finite(timeout_s)
        if given is None or given <= 0:
            raise SessionRefused(f"timeout_s must be a number of seconds above 0, got {shown(timeout_s)}")
        wait = min(given, MAX_WAIT_S)
    age = 0.0
    if sent_at is not None:
        sent = finite(sent_at)
        if sent is None:
            raise SessionRefused(f"sent_at must be the client's monotonic clock in seconds, got {shown(sent_at)}")
        age = max(0.0, now - sent)
    left = wait - age - ANSWER_MARGIN_S
    if left <= 0:
        raise SessionRefused(f"the request reached the player {age:.1f} s after it was sent, past its "
                             f"{wait:g} s deadline; it was not applied")
    return left


def peer_waiting(sock: socket.socket) -> bool:
    """False once the caller has closed its end (POLLHUP: both directions shut), so its control is dropped.

    A client that only shut its sending side (``shutdown(SHUT_WR)``, as socat does) still waits.
    """
    poller = select.poll()
    poller.register(sock, 0)          # POLLHUP and POLLERR are always reported
    try:
        return not any(events & (select.POLLHUP | select.POLLERR) for _fd, events in poller.poll(0))
    except (OSError, ValueError):     # closed under us
        return False
