"""A `Controller` with no audio and no clock, for fast tests of the edges (button, web, USB).

It validates controls with the same `check_control` and follows the same state table as
the real engine, records every accepted control in `submitted`, and delivers event
records to subscribers the way the engine does. It is a test double: the real proof of
each edge is a test against `SessionEngine` (see tests/session/).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from player.errors import SessionRefused
from player.session.control import STATUS_KEYS, Listener, Listeners, check_control
from player.session.states import is_active, next_state, refusal


class FakeController:
    """Thread-safe; `submit` acts at once (no queue), so its answer is immediate."""

    def __init__(self, *, room: str = "Room 1", max_db: float = -6.0, volume_db: float = -12.0) -> None:
        self._lock = threading.Lock()
        self._listeners = Listeners()
        self.submitted: list[tuple[str, str, dict]] = []
        self._seq = 0
        self._status: dict = dict.fromkeys(STATUS_KEYS)
        self._status.update(state="idle", room=room, max_db=max_db, volume_db=volume_db, level_db=None,
                            faults=[], phases=[], elapsed_s=0.0)

    def submit(self, action: str, *, source: str, timeout_s: float = 10.0, **args: object) -> dict:
        checked = check_control(action, source, args)
        with self._lock:
            state = self._status["state"]
            new = next_state(state, action)
            if new is None:
                raise SessionRefused(refusal(state, action))
            self.submitted.append((action, source, checked))
            self._apply(action, checked, new)
            record = self._record(action, source, checked)
            snapshot = self._snapshot()
        self._listeners.deliver(record)
        return snapshot

    def _apply(self, action: str, args: dict, new: str) -> None:
        s = self._status
        if action in ("start", "load") and not is_active(s["state"]):
            self._seq = 0
            s.update(session_id="fake-session", playlist=args.get("playlist", "default"), phase="settling",
                     phase_index=0, phases=[{"name": "settling"}, {"name": "onset"}])
        if action == "volume":
            level = args.get("level_db", (s["volume_db"] or 0.0) + args.get("delta_db", 0.0))
            s["volume_db"] = min(level, s["max_db"])
        if action == "advance" and s["phase_index"] is not None and s["phase_index"] + 1 < len(s["phases"]):
            s["phase_index"] += 1
            s["phase"] = s["phases"][s["phase_index"]]["name"]
        s["state"] = new

    def _record(self, action: str, source: str, args: dict) -> dict:
        self._seq += 1
        return {"seq": self._seq, "time": datetime.now(UTC).isoformat(), "elapsed_s": 0.0,
                "type": action, "source": source, "details": dict(args), "session_id": self._status["session_id"]}

    def _snapshot(self) -> dict:
        snap = dict(self._status)
        snap["faults"] = list(snap["faults"])
        snap["phases"] = [dict(p) for p in snap["phases"]]
        return snap

    def status(self) -> dict:
        with self._lock:
            return self._snapshot()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    def set_state_for_test(self, **fields: object) -> None:
        """Test hook, not API: force status fields (e.g. ``state="faulted"``) and notify subscribers."""
        with self._lock:
            self._status.update(fields)
            record = self._record("status_forced", "system", dict(fields))
        self._listeners.deliver(record)
