"""The session core's typed effects under the names the core's tests have always used for them.

The core once returned ``Audio(call, kwargs)`` and ``Storage(what)``; it now returns one class
per effect (player/core/effects.py). The tests kept their assertions word for word: `Audio`
and `Storage` here build the typed effect of that name, `call`/`kwargs`/`what` read one
back, and `AUDIO`/`STORAGE` are the classes for ``isinstance``. Test code only.
"""

from __future__ import annotations

from dataclasses import fields

from player.core.controls import control
from player.core.effects import (
    ApplyPendingLibrary,
    BeginLevel,
    ChangeLevel,
    ClearState,
    CloseLog,
    Crossfade,
    EmergencyStopAudio,
    OpenLog,
    PauseAudio,
    Play,
    Prefetch,
    QueueNext,
    Record,
    RecordExposure,
    ResumeAudio,
    SaveState,
    StopAudio,
)

CALLS = {Play: "play", Crossfade: "crossfade_to", QueueNext: "queue_next", Prefetch: "prefetch",
         BeginLevel: "begin_level", PauseAudio: "pause", ResumeAudio: "resume", StopAudio: "stop",
         EmergencyStopAudio: "emergency_stop"}
STORES = {OpenLog: "open_log", CloseLog: "close_log", SaveState: "save", ClearState: "clear",
          RecordExposure: "exposure", ApplyPendingLibrary: "apply_pending_library"}
AUDIO = tuple(CALLS)
STORAGE = tuple(STORES)
Volume = ChangeLevel


def Audio(call: str, kwargs: dict | None = None):
    """The audio effect the mixer command `call` names, with those arguments."""
    cls = next(c for c, name in CALLS.items() if name == call)
    args = dict(kwargs or {})
    if cls is Prefetch:
        args["sources"] = tuple(args["sources"])
    return cls(**args)


def Storage(what: str, session_id: str | None = None):
    """The storage effect `what` names (the log's ones carry the session id)."""
    cls = next(c for c, name in STORES.items() if name == what)
    return cls(session_id) if cls in (OpenLog, CloseLog) else cls()


def call(fx: object) -> str | None:
    """The mixer command an audio effect stands for."""
    return CALLS.get(type(fx))


def kwargs(fx: object) -> dict:
    """An effect's fields by name."""
    return {f.name: getattr(fx, f.name) for f in fields(fx)}


def label(fx: object) -> str:
    """``Audio:play``, ``Storage:save``, ``Record:marked``: an effect's kind, as the tests list them."""
    if type(fx) in CALLS:
        return f"Audio:{CALLS[type(fx)]}"
    if type(fx) in STORES:
        return f"Storage:{STORES[type(fx)]}"
    return f"Record:{fx.type}" if isinstance(fx, Record) else type(fx).__name__


def command(machine, action: str, source: str, args: dict, now: float, mixer):
    """A control by its name and checked arguments, as the edges name it."""
    return machine.command(control(action, args), source, now, mixer)
