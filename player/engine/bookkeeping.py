"""The core's effects on the records, the state file and the service manager (the music's are in loop.py).

Each storage effect (player/core/effects.py) has one method, found by its class through
`Bookkeeper.performers`, which the engine's dispatch merges with the mixer's; so every hop
from a rule to the disk is a name "go to definition" follows, and an effect with no method
is a KeyError in the engine's tests, not a typo on the engine thread. After each storage
effect the core is told how the disk is doing (`disk_news`); it decides whether that is a
fault, and what it answers is performed in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from player.clock import Clock
from player.core import effects as fx
from player.core.session import SessionMachine
from player.engine import persist
from player.engine.feedback_log import feedback_path, feedback_record
from player.engine.journal import Journal
from player.engine.records import RecordKeeper

log = logging.getLogger(__name__)


class MixerReadings(Protocol):
    """What a save and the exposure record read from the mixer (player/engine/loop.py's `Mixer`)."""

    @property
    def position_s(self) -> float | None: ...

    @property
    def master_target_db(self) -> float: ...

    @property
    def heard_db(self) -> float | None: ...


class Bookkeeper:
    """Performs the storage effects: records, the event log, the state file, exposure, feedback, status.

    Args:
        machine: the session core (told the disk's news).
        mixer: read for what a save and the exposure record need (engine thread only).
        clock: monotonic time for the session's clock, wall time for feedback.
        journal: writes the records.
        keeper: the durable store (state file, records waiting).
        perform: performs what the core answers (the engine's dispatch, music included).
        notify: tells the service manager a status line.
        apply_pending: makes a deferred USB import current; returns its generation or None.
    """

    def __init__(self, machine: SessionMachine, mixer: MixerReadings, clock: Clock, journal: Journal,
                 keeper: RecordKeeper, *, perform: Callable[[list[fx.Effect | None]], None],
                 notify: Callable[[str], None], apply_pending: Callable[[], str | None]) -> None:
        self._machine = machine
        self._mixer = mixer
        self._clock = clock
        self._journal = journal
        self._keeper = keeper
        self._perform = perform
        self._notify_status = notify
        self._apply_pending = apply_pending
        self.actor: dict | None = None       # who asked for the control being performed
        self.saved_at = -1e18                # monotonic reading of the last save
        self.performers: dict[type, Callable] = {
            fx.Record: self._write, fx.OpenLog: self._open_log, fx.CloseLog: self._close_log,
            fx.SaveState: self._save_state, fx.ClearState: self._clear_state,
            fx.RecordExposure: self._record_exposure, fx.ApplyPendingLibrary: self._apply_pending_library,
            fx.Notify: self._notify, fx.RecordFeedback: self._record_feedback}

    def __repr__(self) -> str:
        return f"<Bookkeeper pending {self._keeper.pending}>"

    def _write(self, e: fx.Record) -> None:
        self._journal.write(e, self.actor)

    def _open_log(self, e: fx.OpenLog) -> None:
        s = self._machine.session
        self._journal.open(e.session_id, None if s is None else s.origin)
        self.disk_news()

    def _close_log(self, e: fx.CloseLog) -> None:
        self._journal.close()
        self.disk_news()

    def _save_state(self, e: fx.SaveState) -> None:
        self.save()
        self.disk_news()

    def save(self) -> None:
        """Save the running session for a restart (also every 30 s and when the engine stops)."""
        self.saved_at = self._clock.monotonic()
        persist.save(self._machine, self._keeper, self._clock, position_s=self._mixer.position_s,
                     master_db=self._mixer.master_target_db)

    def _clear_state(self, e: fx.ClearState) -> None:
        self._keeper.save_state(None)
        self.disk_news()

    def _record_exposure(self, e: fx.RecordExposure) -> None:
        self._perform([self._journal.exposure(self._clock.monotonic(), self._mixer.heard_db, final=True)])
        self.disk_news()

    def _apply_pending_library(self, e: fx.ApplyPendingLibrary) -> None:
        try:
            generation = self._apply_pending()
        except OSError as exc:
            log.error("the deferred USB import could not be made current: %s", exc)
            generation = None
        if generation:
            self._journal.write(fx.Record("library_changed", "usb", self._elapsed(), {"generation": generation}))
        self.disk_news()

    def _record_feedback(self, e: fx.RecordFeedback) -> None:
        """A music-feedback answer, beside its finished session's log (player/engine/feedback_log.py)."""
        record = feedback_record(e, self._clock.wall().isoformat(timespec="milliseconds"), self.actor)
        self._keeper.append_to(feedback_path(self._keeper.data_dir, e.session_id), record)
        self.disk_news()

    def _notify(self, e: fx.Notify) -> None:
        self._notify_status(e.text)

    def disk_news(self) -> None:
        """Tell the core how the disk is doing; it decides whether that is a fault (or one cleared)."""
        self._perform(self._machine.storage(self._keeper.problem, self._keeper.pending, self._clock.monotonic(),
                                            lost=self._keeper.lost, max_pending=self._keeper.max_pending))

    def retry_records(self) -> None:
        """Write the records waiting in memory; once all are out, say so in a record of its own."""
        since = self._keeper.waiting_since
        written = self._keeper.retry()
        if written and not self._keeper.pending:
            self.disk_news()
            self._journal.write(fx.Record("records_recovered", "system", self._elapsed(),
                                          {"count": written, "since": since}))
        self.disk_news()

    def _elapsed(self) -> float:
        return self._machine.elapsed(self._clock.monotonic())
