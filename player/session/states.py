"""The session state machine as one explicit table: ``(state, event) -> state``.

Pure: no I/O, no clock. The engine looks every input up here before acting, so an
illegal control (resume while playing, next while paused) is refused with a clear
reason and changes nothing. Tests walk every state x event pair.
"""

from __future__ import annotations

from typing import Literal

State = Literal["idle", "ready", "playing", "paused", "faulted", "ended"]
STATES: tuple[State, ...] = ("idle", "ready", "playing", "paused", "faulted", "ended")

#: Staff controls (from the button, the CLI socket, the web page).
CONTROLS = ("load", "start", "pause", "resume", "next", "advance", "extend", "mark", "volume", "stop",
            "emergency_stop", "ack", "observe", "calmer")
#: Inputs from the USB edge (not staff): a deferred import may become the library between sessions.
USB_INPUTS = ("apply_library",)
#: Inputs from inside the player (clock, audio output).
INTERNAL = ("phase_elapsed", "session_completed", "device_lost", "device_restored")
EVENTS = CONTROLS + USB_INPUTS + INTERNAL

_ACTIVE = ("playing", "paused", "faulted")

TRANSITIONS: dict[tuple[str, str], State] = {
    # No session: load a playlist, or start one (start loads first). The level may be set ahead.
    ("idle", "load"): "ready",
    ("idle", "start"): "playing",
    ("idle", "volume"): "idle",
    ("ended", "load"): "ready",
    ("ended", "start"): "playing",
    ("ended", "volume"): "ended",
    ("ready", "load"): "ready",
    ("ready", "start"): "playing",
    ("ready", "volume"): "ready",
    ("ready", "stop"): "idle",
    ("ready", "emergency_stop"): "idle",
    # Playing.
    ("playing", "pause"): "paused",
    ("playing", "next"): "playing",
    ("playing", "advance"): "playing",
    ("playing", "calmer"): "playing",      # calmer music needs music playing (paused: resume first)
    ("playing", "phase_elapsed"): "playing",
    ("playing", "session_completed"): "ended",
    ("playing", "device_lost"): "faulted",
    # Paused: the clock is stopped; staff may resume, note, extend, change level or end.
    ("paused", "resume"): "playing",
    ("paused", "device_lost"): "paused",
    ("paused", "device_restored"): "paused",
    # Faulted: the audio device is gone; the clock runs on, the engine retries the device.
    ("faulted", "device_restored"): "playing",
    ("faulted", "device_lost"): "faulted",
    ("faulted", "phase_elapsed"): "faulted",
    ("faulted", "advance"): "faulted",
    ("faulted", "session_completed"): "ended",
}
for _state in _ACTIVE:
    TRANSITIONS[(_state, "extend")] = _state
    TRANSITIONS[(_state, "mark")] = _state
    TRANSITIONS[(_state, "ack")] = _state        # checkpoints and observations: never audible
    TRANSITIONS[(_state, "observe")] = _state
    TRANSITIONS[(_state, "volume")] = _state
    TRANSITIONS[(_state, "stop")] = "ended"
    TRANSITIONS[(_state, "emergency_stop")] = "ended"
TRANSITIONS[("playing", "device_restored")] = "playing"
for _state in ("idle", "ready", "ended"):   # never under a running session: it plays its own files
    TRANSITIONS[(_state, "apply_library")] = _state

_WHY = {
    "idle": "no session is running",
    "ready": "the session has not started",
    "ended": "the session has ended",
    "paused": "the session is paused",
    "faulted": "the audio device is lost",
    "playing": "the session is already playing",
}

_HINT = {
    "idle": "start a playlist first",
    "ready": "start it first",
    "ended": "start a new session first",
    "paused": "resume it first",
    "faulted": "wait for the audio device, or stop the session",
    "playing": "",
}


def next_state(state: str, event: str) -> State | None:
    """The state after `event` in `state`, or None when the event is not allowed there."""
    return TRANSITIONS.get((state, event))


#: Actions whose name is not a verb staff would read in "cannot ...".
_VERB = {"calmer": "change to or from calmer music"}


def refusal(state: str, event: str) -> str:
    """Why `event` is not allowed in `state`, worded for staff."""
    if event not in EVENTS:
        return f"unknown action {event!r}; known actions: {', '.join(CONTROLS)}"
    hint = _HINT.get(state, "")
    action = _VERB.get(event, event.replace("_", " "))
    return f"cannot {action}: {_WHY.get(state, state)}" + (f"; {hint}" if hint else "")


def is_active(state: str) -> bool:
    """A session is running (playing, paused or faulted)."""
    return state in _ACTIVE
