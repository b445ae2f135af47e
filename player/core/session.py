"""The session core: `SessionMachine`, ``(state, input, now) -> (state, effects)``, pure.

Rule 1: everything that decides what the session does lives in player/core/; no I/O, no
clock, no threads. The engine (player/engine/loop.py) feeds inputs in (a staff control, a
tick, an event of the mixer, a restart), each with the monotonic time and a view of the
mixer, and performs the typed effects that come out (player/core/effects.py), in order.

The transition table (`TABLE`) is the one truth of the session's state: a row
``(state, input class) -> Row(next, act, then)`` runs `act`, moves to `next`, then runs
`then`. `_enter` is the only place that writes the state, and only `_run` calls it with a
row's right-hand side; no handler assigns it (tests/core/test_machine.py walks the table
and reads the source to prove both). The rows' next states come from the vocabulary's table
(player/core/vocabulary.py), which the edges use to say what is allowed.

The handlers live beside it, one job each: controls (player/core/steps.py), phases and the
mixer's events (player/core/phases.py), calmer music (player/core/calmer_rules.py), the
restart (player/core/restart.py) and the status (player/core/status.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from player.audio.api import MixerEvent
from player.config import Config
from player.core import calmer_rules, phases, restart, status, steps
from player.core.controls import (
    Ack,
    Advance,
    ApplyLibrary,
    Calmer,
    Control,
    EmergencyStop,
    Extend,
    Load,
    Mark,
    Next,
    Observe,
    Pause,
    Press,
    Resume,
    Start,
    Stop,
    Volume,
)
from player.core.effects import Effect, Record, SaveState
from player.core.inputs import (
    DeviceLost,
    DeviceRestored,
    RestartPaused,
    RestartPlaying,
    SessionCompleted,
)
from player.core.resume import Downtime, Saved
from player.core.running import MixerView, Running
from player.core.vocabulary import (
    PRESS_MEANS,
    STATES,
    TRANSITIONS,
    State,
    is_active,
    refusal,
)
from player.errors import SessionRefused
from player.playlist.model import Playlist

STORAGE_FAULT = "session records cannot be saved: "


@dataclass(frozen=True)
class Moment:
    """Who asked (`source`), the monotonic reading `now`, session time `at`, and the mixer then."""

    source: str
    now: float
    at: float
    mixer: MixerView


Handler = Callable[["SessionMachine", Any, Moment], None]


@dataclass(frozen=True)
class Row:
    """One transition: run `act`, move to `next` (recorded unless `announce` is false), run `then`."""

    next: State
    act: Handler | None = None
    then: Handler | None = None
    announce: bool = True


class SessionMachine:
    """The session's state and the rules that change it. Engine thread only; pure."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._state: State = "idle"
        self.session: Running | None = None
        self.ready: Playlist | None = None
        self.faults: list[str] = []
        self.preset_db: float | None = None    # a level set before the session (its playing level)
        self._fx: list[Effect] = []
        self._status = status.StatusCache()

    @property
    def state(self) -> State:
        """The state; written only by the transition table (`_enter`)."""
        return self._state

    # --- inputs -------------------------------------------------------------------------
    def decide(self, control: Control) -> Control:
        """What `control` means now: a short press becomes start, pause or resume, from the real state.

        Raises:
            SessionRefused: a press means nothing in this state (faulted).
        """
        if not isinstance(control, Press):
            return control
        meant = PRESS_MEANS.get(self._state)
        if meant is None:
            raise SessionRefused(f"a short press does nothing while the session is {self._state}")
        if meant == "start":
            return Start(playlist=control.playlist, default=control.default)
        return Pause() if meant == "pause" else Resume()

    def command(self, control: Control, source: str, now: float, mixer: MixerView) -> list[Effect]:
        """A staff control (already checked by `check_control`), through the table.

        Raises:
            SessionRefused: the state does not allow it, or its own rule refuses (nothing changed).
        """
        control = self.decide(control)
        try:
            self._run(self._row(control), control, Moment(source, now, self.elapsed(now), mixer))
        except BaseException:
            self._fx = []        # a refusal (or a bug) leaves nothing half done behind
            raise
        self._fx.append(SaveState())
        return self._take()

    def tick(self, now: float, mixer: MixerView) -> list[Effect]:
        """Time passed: checkpoints, phase boundaries, the final fade-out, a retry after every track failed."""
        phases.tick(self, Moment("system", now, self.elapsed(now), mixer))
        return self._take()

    def heard(self, event: MixerEvent, now: float, mixer: MixerView) -> list[Effect]:
        """An event of the mixer (track started, ended, failed; the device; it needs a track)."""
        phases.MIXER_EVENTS[event.kind](self, event, Moment("system", now, self.elapsed(now), mixer))
        return self._take()

    def restore(self, saved: Saved, playlist: Playlist, now: float, down: Downtime, *,
                log_missing: bool = False) -> list[Effect]:
        """Take up a session cut short (player/core/restart.py): same phase, track and place, from silence.

        Raises:
            ValueError: the playlist no longer has the session's phases (the engine starts idle).
        """
        if saved.timeline.names != tuple(p.name for p in playlist.phases):
            raise ValueError("the playlist's phases changed since the session started")
        policy = self.config.session.resume_policy if down.plausible else "pause"
        paused = (policy == "pause" and saved.state != "paused") or saved.timeline.paused_at_s is not None
        inp = (RestartPaused if paused else RestartPlaying)(saved, playlist, down, policy, log_missing)
        self._run(self._row(inp), inp, Moment("system", now, saved.elapsed_s + down.gap_s, MixerView()))
        return self._take()

    def level_changed(self, source: str, at_s: float, old_db: float, new_db: float) -> list[Effect]:
        """The engine changed the level as a `ChangeLevel` asked: record it (before a session it is a preset)."""
        self.volume_set(new_db)
        return [Record("volume_changed", source, at_s, {"from_db": round(old_db, 2), "to_db": round(new_db, 2)})]

    def volume_set(self, level_db: float) -> None:
        """The level staff set (before a session it becomes that session's level)."""
        if self.session is None:
            self.preset_db = level_db

    def storage(self, problem: str | None, pending: int, now: float) -> list[Effect]:
        """The disk's news: a problem becomes a fault; it clears once nothing waits to be written."""
        shown = next((f for f in self.faults if f.startswith(STORAGE_FAULT)), None)
        if problem and shown is None:
            self.add_fault(STORAGE_FAULT + problem, self.elapsed(now))
        elif not problem and shown is not None and not pending:
            self.clear_fault(shown, self.elapsed(now))
        return self._take()

    def elapsed(self, now: float) -> float:
        return 0.0 if self.session is None else now - self.session.origin

    def next_due_s(self, now: float) -> float | None:
        """How long until the rules must see a tick again (a phase boundary, the final fade, a checkpoint)."""
        s = self.session
        if s is None or not is_active(self._state):
            return None
        return phases.next_due_s(s, self._state, self.elapsed(now))

    def snapshot(self, now: float) -> dict:
        """The session part of the status (see `player.control.controller.STATUS_KEYS`)."""
        return self._status.snapshot(self, now)

    # --- the table: the only writer of the state ------------------------------------------
    def _row(self, inp: Any) -> Row:
        row = TABLE.get((self._state, type(inp)))
        if row is None:
            raise SessionRefused(refusal(self._state, inp.action))
        return row

    def event(self, inp: Any, m: Moment) -> None:
        """An input from inside the player (the device, the plan's end): its row, or nothing in this state."""
        row = TABLE.get((self._state, type(inp)))
        if row is not None and self.session is not None:
            self._run(row, inp, m)

    def _run(self, row: Row, inp: Any, m: Moment) -> None:
        if row.act is not None:
            row.act(self, inp, m)
        self._enter(row.next, m.at, row.announce)
        if row.then is not None:
            row.then(self, inp, m)

    def _enter(self, new: State, at_s: float, announce: bool) -> None:
        old, self._state = self._state, new
        if announce and new != old and self.session is not None:
            self.record("state_changed", at_s, **{"from": old, "to": new})

    # --- effects, records, faults -----------------------------------------------------------
    def emit(self, *effects: Effect | None) -> None:
        """Effects for the engine, in order (None: a handler decided there is nothing to do)."""
        self._fx += [fx for fx in effects if fx is not None]

    def record(self, type_: str, at_s: float, source: str = "system", **details: object) -> None:
        self._fx.append(Record(type_, source, at_s, details))

    def _take(self) -> list[Effect]:
        fx, self._fx = self._fx, []
        return fx

    def add_fault(self, message: str, at_s: float = 0.0) -> None:
        if message not in self.faults:
            self.faults.append(message)
            self.record("fault", at_s, message=message)

    def clear_fault(self, message: str, at_s: float = 0.0) -> None:
        if message in self.faults:
            self.faults.remove(message)
            self.record("fault_cleared", at_s, message=message)

    def take_effects(self) -> list[Effect]:
        """Effects left by `add_fault`/`clear_fault` called from outside an input (the engine's own faults)."""
        return self._take()

    def device_message(self) -> str:
        return f"audio device lost: {self.config.audio.device}"

    def assume_state_for_test(self, state: State) -> None:
        """Test hook of `FakeController.set_state_for_test`, never called by the engine: edges under test
        see a state (faulted) that no script reaches without an audio device."""
        self._state = state


#: What each input does, by its class: (before the state changes, after it changed).
HANDLERS: dict[type, tuple[Handler | None, Handler | None]] = {
    Load: (steps.load, None),
    Start: (steps.start, steps.started),
    Pause: (steps.pause, None),
    Resume: (steps.resume, None),
    Next: (steps.next_track, None),
    Advance: (steps.advance, None),
    Extend: (steps.extend, None),
    Mark: (steps.mark, None),
    Volume: (steps.volume, None),
    Ack: (steps.ack, None),
    Observe: (steps.observe, None),
    Calmer: (calmer_rules.calmer, None),
    ApplyLibrary: (steps.apply_library, None),
    Stop: (steps.stop, steps.closed),
    EmergencyStop: (steps.emergency_stop, steps.closed),
    SessionCompleted: (steps.completed, steps.closed),
    DeviceLost: (None, None),
    DeviceRestored: (None, None),
    RestartPlaying: (restart.reopen, restart.take_up),
    RestartPaused: (restart.reopen, restart.take_up),
}
_SILENT = (RestartPlaying, RestartPaused)   # a restart is recorded as daemon_restarted, not state_changed

#: The transition table: every (state, input class) the vocabulary's table allows, with its handlers.
TABLE: dict[tuple[str, type], Row] = {
    (state, cls): Row(TRANSITIONS[(state, cls.action)], act, then, announce=cls not in _SILENT)
    for cls, (act, then) in HANDLERS.items() for state in STATES if (state, cls.action) in TRANSITIONS}
