"""Apply a deferred import between sessions, through the session engine.

The engine makes a deferred import current itself when a session ends (and records it in
that session's log). An import that finishes copying after that, or while no session runs,
is left to a `PendingApplier`: its listener only sets an event (listeners run on the engine
thread); its own worker then checks that no session is active and an import is pending,
and asks the engine (``apply_library``, source usb), which applies it, if no import is still
copying, and records ``library_changed``. A library never changes behind the engine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from player.config import Config
from player.playlist.library import current_library_name, library_dir
from player.session.control import Controller
from player.session.states import is_active

log = logging.getLogger(__name__)


class PendingApplier:
    """Watches `controller`; makes ``library/pending`` current whenever no session is active.

    Args:
        on_applied: called (on the worker thread) with the generation made current.
        recheck_s: while an import is pending, how often the state is checked without a record.
    """

    def __init__(self, controller: Controller, config: Config,
                 on_applied: Callable[[str], None] | None = None, recheck_s: float = 2.0) -> None:
        self.controller = controller
        self.config = config
        self.on_applied = on_applied
        self.recheck_s = recheck_s
        self._wake = threading.Event()
        self._closed = False
        self._unsubscribe: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PendingApplier:
        """Subscribe and start the worker, which checks at once (a deferral from before a restart)."""
        self._unsubscribe = self.controller.subscribe(lambda record: self._wake.set())
        self._thread = threading.Thread(target=self._run, name="usb-pending", daemon=True)
        self._thread.start()
        return self

    def _pending(self) -> bool:
        return (library_dir(self.config.data_dir) / "pending").is_symlink()

    def _run(self) -> None:
        while not self._closed:
            try:
                if self._pending() and not is_active(str(self.controller.status().get("state"))):
                    self.controller.submit("apply_library", source="usb")
                    if not self._pending() and self.on_applied:
                        self.on_applied(current_library_name(self.config.data_dir))
            except Exception:  # a listener-driven worker must survive any one failure
                log.exception("could not apply the pending library import")
            # The status snapshot may lag the record that woke us: re-check while something is pending.
            self._wake.wait(self.recheck_s if self._pending() else None)
            self._wake.clear()

    def close(self) -> None:
        """Unsubscribe and stop the worker; safe to call twice."""
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def __enter__(self) -> PendingApplier:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
