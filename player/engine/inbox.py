"""The engine's inbox: what waits on its one queue besides the audio output's events: controls, syncs, the stop.

The engine shell (player/engine/loop.py) takes these in order on its thread; any thread may
put them. A control carries its deadline: one whose caller was told "no answer" is dropped,
never applied later.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from player.core.controls import Control


@dataclass
class Command:
    """A checked control from an edge, and its answer once the engine acted on it."""

    control: Control
    source: str
    actor: dict | None
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None
    error: BaseException | None = None
    _state: str = "queued"                 # queued -> taken (engine) | dropped (too late)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        """The engine's turn: True to apply it, False when its caller has given up (or will)."""
        with self._lock:
            if self._state == "queued" and time.monotonic() <= self.deadline:
                self._state = "taken"
                return True
            self._state = "dropped"
            return False

    def give_up(self) -> bool:
        """The caller's timeout: True when it will never be applied."""
        with self._lock:
            if self._state == "queued":
                self._state = "dropped"
            return self._state == "dropped"


@dataclass
class Sync:
    """Set once the engine has run a full tick after it was queued (tests, after moving a fake clock)."""

    done: threading.Event = field(default_factory=threading.Event)


class Stop:
    """Ends the engine's thread (the session, if any, stays saved for the next start)."""


STOP = Stop()
