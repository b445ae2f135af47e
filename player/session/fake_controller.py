"""A `Controller` with no audio, no disk and no thread, for fast tests of the edges (button, web, USB).

It runs the *real* session rules (player/session/rules.py) in the caller's thread, so its
refusals, state changes and records are the engine's by construction, and one contract test
(tests/session/test_controller_contract.py) runs the same script on both. What it leaves out
is I/O: a playlist named in a control is not read (the fake plans an empty two-phase
playlist of that name, or uses one given to the constructor), audio effects are dropped,
records are kept in memory. `submitted` lists every accepted control as the edge sent it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from player.audio.levels import MasterLevel
from player.clock import Clock, SystemClock
from player.config import Config, load_config
from player.core.cap import cap_db
from player.playlist.model import Phase, Playlist, Track
from player.session.control import STATUS_KEYS, Listener, Listeners, check_control
from player.session.events import check_record
from player.session.rules import MixerView, Record, SessionRules, Storage, Volume

_NO_MIXER = MixerView()


def planned_only(name: str) -> Playlist:
    """A playlist of that name with two phases of two tracks each, none of them read (the fake does no I/O)."""
    path = Path(name)
    phases = tuple(Phase(phase, length, tuple(Track(path.parent / f"{phase}-{n}.flac", duration_s=300.0)
                                              for n in (1, 2)), 8.0)
                   for phase, length in (("settling", 600.0), ("onset", 900.0)))
    return Playlist(path.stem or "default", path, 8.0, phases)


class FakeController:
    """Thread-safe; `submit` acts at once (no queue), so its answer is immediate.

    Args:
        room, max_db, volume_db: shorthand for a config (room, volume.max_db, volume.default_db,
            and a default playlist, so that start needs no name).
        config: a whole config instead.
        playlists: playlists by the name a control gives (else `planned_only`).
        clock: session time (default the system's).
    """

    def __init__(self, *, room: str = "Room 1", max_db: float = -6.0, volume_db: float = -12.0,
                 config: Config | None = None, playlists: Mapping[str, Playlist] | None = None,
                 clock: Clock | None = None) -> None:
        self.config = config or load_config({"room": room, "session": {"default_playlist": "default.yaml"},
                                             "volume": {"max_db": max_db, "default_db": volume_db,
                                                        "start_db": min(-20.0, volume_db)}})
        self._clock = clock or SystemClock()
        self._rules = SessionRules(self.config)
        self._level = MasterLevel(self.config.volume, cap_db(self.config.volume))
        self._playlists = dict(playlists or {})
        self._lock = threading.Lock()
        self._listeners = Listeners()
        self._forced: dict = {}
        self._seq = 0
        self.submitted: list[tuple[str, str, dict]] = []
        self.records: list[dict] = []

    def submit(self, action: str, *, source: str, timeout_s: float = 10.0, actor: dict | None = None,
               **args: object) -> dict:
        checked = check_control(action, source, args, self.config.session.observation_kinds)
        with self._lock:
            rule_args = dict(checked)
            default = self.config.session.default_playlist
            name = checked.get("playlist") or (None if default is None or self._rules.ready else str(default))
            if action in ("start", "load") and name is not None:
                rule_args["playlist"] = self._playlists.get(name) or planned_only(name)
            if action == "start":
                rule_args["session_id"] = "fake-session"
            effects = self._rules.command(action, source, rule_args, self._clock.monotonic(), _NO_MIXER)
            self.submitted.append((action, source, checked))
            records = self._perform(effects)
            snapshot = self._snapshot()
        for record in records:
            self._listeners.deliver(record)
        return snapshot

    def _perform(self, effects) -> list[dict]:
        records = []
        for fx in effects:
            if isinstance(fx, Volume):
                now = self._clock.monotonic()
                old = self._level.value(now)
                new = self._level.set(now, fx.level_db) if fx.level_db is not None \
                    else self._level.step(now, fx.delta_db or 0.0)
                self._rules.volume_set(new)
                fx = Record("volume_changed", fx.source, fx.at_s, {"from_db": round(old, 2), "to_db": round(new, 2)})
            if isinstance(fx, Record):
                records.append(self._record(fx))
            elif isinstance(fx, Storage) and fx.what == "open_log":
                self._seq = 0
            elif getattr(fx, "call", None) == "begin_level":
                self._level.begin(self._clock.monotonic(), fx.kwargs.get("target_db"))
        return records

    def _record(self, fx: Record) -> dict:
        check_record(fx.type, fx.source, fx.details)
        self._seq += 1
        session = self._rules.session
        record = {"seq": self._seq, "time": self._clock.wall().isoformat(timespec="milliseconds"),
                  "elapsed_s": round(fx.at_s, 3), "type": fx.type, "source": fx.source, "details": dict(fx.details),
                  "session_id": session.id if session else None}
        self.records.append(record)
        return record

    def _snapshot(self) -> dict:
        now = self._clock.monotonic()
        snap = dict.fromkeys(STATUS_KEYS)
        snap.update(self._rules.snapshot(now))
        snap.update(volume_db=round(self._level.target_db, 2), volume_now_db=round(self._level.value(now), 2),
                    audio="silent", records_pending=0)
        snap.update(self._forced)
        snap["faults"] = list(snap["faults"])
        snap["phases"] = [dict(p) for p in snap["phases"]]
        return snap

    def status(self) -> dict:
        with self._lock:
            return self._snapshot()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    def set_state_for_test(self, notify: bool = True, **fields: object) -> None:
        """Test hook, not API: force status fields (e.g. ``state="faulted"``) and notify subscribers.

        The record it delivers (type ``status_forced``) is not in the event vocabulary: only
        edges under test see it, to refresh what they show. ``notify=False`` changes the
        status silently (a snapshot that moved without an event).
        """
        with self._lock:
            self._forced.update(fields)
            state = fields.get("state")
            if isinstance(state, str):
                self._rules.state = state
            record = {"seq": self._seq, "time": self._clock.wall().isoformat(), "elapsed_s": 0.0,
                      "type": "status_forced", "source": "system", "details": dict(fields),
                      "session_id": self._rules.session.id if self._rules.session else None}
        if notify:
            self._listeners.deliver(record)

