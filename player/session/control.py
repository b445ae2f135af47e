"""How the edges (bedside button, CLI socket, web page, USB unit) steer a session.

Every edge talks to a `Controller` and nothing else: `submit()` puts a control on the
session engine's queue and waits until the engine has acted on it and its event is
fsync'd in the log; `status()` is a snapshot; `subscribe()` delivers each event record.
`SessionEngine` is the real controller; `FakeController` (player/session/fake_controller.py)
follows the same state table for fast tests of the edges.

`check_control` is the one place arguments of a control are validated, so the button, the
socket and the web API accept and refuse exactly the same things.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from player.core.observation_kinds import ObservationKind
from player.errors import SessionRefused
from player.oneline import is_one_line
from player.session.events import SOURCES
from player.session.observations import check_observation
from player.session.states import CONTROLS, USB_INPUTS

MAX_MARK_CHARS = 200
MAX_EXTEND_MIN = 120.0
MAX_CALMER_MIN = 240.0
MAX_CHECKLIST_ITEMS = 30

#: Keys always present in a status snapshot (`Controller.status()`, `session-player status --json`).
STATUS_KEYS = ("state", "phase", "phase_index", "session_id", "room", "playlist", "elapsed_s",
               "phase_elapsed_s", "phase_remaining_s", "remaining_s", "track", "volume_db", "volume_now_db",
               "level_db", "max_db", "audio", "faults", "records_pending", "phases",
               "volume_dba", "max_dba", "heard_dba",   # (dBA: None unless the chair is calibrated)
               "checkpoints",   # [{"at_s", "text", "state", "done_at_s"}] (player/session/checkpoints.py)
               "calmer", "calmer_available")   # calmer music: None or {since_s, until_s}; the phase has some

Listener = Callable[[dict], None]

log = logging.getLogger(__name__)


class Listeners:
    """The subscribers of a controller: thread-safe add/remove, and delivery that never raises."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return unsubscribe

    def deliver(self, record: dict) -> None:
        """Hand `record` to each listener; one that fails is logged and the rest still get it."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(record)
            except Exception:  # noqa: BLE001 - a listener never breaks the session
                log.exception("event listener failed")


class Controller(Protocol):
    """What an edge may ask of the session. Thread-safe; callable from any thread."""

    def submit(self, action: str, *, source: str, timeout_s: float = 10.0, **args: object) -> dict:
        """Queue a control and wait for the engine to act on it and log it durably.

        Returns:
            the status snapshot right after the control took effect.

        Raises:
            SessionRefused: the action is unknown, its arguments are bad, or the session's
                state does not allow it (nothing changed).
            TimeoutError: the engine did not answer within `timeout_s`.
        """

    def status(self) -> dict:
        """A snapshot with at least `STATUS_KEYS`."""

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(record)` for every event record (on the engine thread: only enqueue).

        Returns:
            a function that unsubscribes.
        """


def _number(args: Mapping, key: str, default: float | None = None) -> float:
    value = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SessionRefused(f"{key} must be a number, got {value!r}")
    return float(value)


def check_control(action: str, source: str, args: Mapping[str, object],
                  kinds: Mapping[str, ObservationKind] | None = None) -> dict:
    """Validate a control's action, source and arguments; return the normalized arguments.

    Arguments per action: ``start`` takes ``playlist`` (a path; omitted = the configured
    default playlist); ``extend`` takes ``minutes`` (default 5, 0 < m <= 120); ``mark`` takes
    ``text`` (1-200 characters, one line); ``volume`` takes ``delta_db`` (a step, + or -) or
    ``level_db`` (an absolute level; both are clamped to the cap by the engine); ``ack`` takes
    ``text`` (optional: the start of the due checkpoint's text); ``observe`` takes ``kind``,
    ``value`` and optional ``note`` (player/session/observations.py, with the config's extra
    `kinds`: a value out of its plausible range is refused here, so nothing is logged); ``calmer`` takes
    ``minutes`` (0 < m <= 240; omitted = until ``off`` or the phase ends) or ``off: true``; ``start``
    also takes ``checked``: the pre-session checklist's items ticked (a list), or true for all.
    Others take none.

    Raises:
        SessionRefused: with a message staff can act on.
    """
    if action in USB_INPUTS:
        if source != "usb" or args:
            raise SessionRefused(f"{action} comes from the USB import only, with no arguments")
        return {}
    if action not in CONTROLS:
        raise SessionRefused(f"unknown action {action!r}; known actions: {', '.join(CONTROLS)}")
    if source not in SOURCES:
        raise SessionRefused(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    allowed = {"start": {"playlist", "checked"}, "load": {"playlist"}, "extend": {"minutes"}, "mark": {"text"},
               "volume": {"delta_db", "level_db"}, "ack": {"text"},
               "observe": {"kind", "value", "note"}, "calmer": {"minutes", "off"}}.get(action, set())
    extra = set(args) - allowed
    if extra:
        raise SessionRefused(f"{action} takes no {', '.join(sorted(extra))}"
                             + (f" (only {', '.join(sorted(allowed))})" if allowed else ""))
    out: dict[str, object] = {}
    if action in ("start", "load"):
        playlist = args.get("playlist")
        if playlist is not None:
            if not isinstance(playlist, str) or not playlist.strip() or "\0" in playlist:
                raise SessionRefused(f"playlist must be a path, got {playlist!r}")
            out["playlist"] = playlist
        if "checked" in args:
            out["checked"] = _checked(args["checked"])
    elif action == "calmer":
        out.update(_calmer(args))
    elif action == "extend":
        minutes = _number(args, "minutes", 5.0)
        if not 0 < minutes <= MAX_EXTEND_MIN:
            raise SessionRefused(f"minutes must be more than 0 and at most {MAX_EXTEND_MIN:g}, got {minutes:g}")
        out["minutes"] = minutes
    elif action == "mark":
        text = args.get("text")
        if not isinstance(text, str) or not text.strip():
            raise SessionRefused("a mark needs text, e.g. 'BP 128/82'")
        text = text.strip()
        if len(text) > MAX_MARK_CHARS or not is_one_line(text):
            raise SessionRefused(f"mark text must be one line of at most {MAX_MARK_CHARS} characters")
        out["text"] = text
    elif action == "ack":
        text = args.get("text")
        if text is not None:
            if not isinstance(text, str) or len(text) > MAX_MARK_CHARS or not is_one_line(text):
                raise SessionRefused(f"ack text must be one line of at most {MAX_MARK_CHARS} characters")
            if text.strip():
                out["text"] = text.strip()
    elif action == "observe":
        try:
            details = check_observation(args.get("kind"), args.get("value"), args.get("note"), kinds)
        except ValueError as exc:
            raise SessionRefused(str(exc)) from None
        out.update({"kind": details["kind"], "value": details["value"]})
        if "note" in details:
            out["note"] = details["note"]
    elif action == "volume":
        if ("delta_db" in args) == ("level_db" in args):
            raise SessionRefused("volume takes exactly one of delta_db (a step) or level_db (a level)")
        key = "delta_db" if "delta_db" in args else "level_db"
        value = _number(args, key)
        if key == "delta_db" and abs(value) > 24:
            raise SessionRefused(f"delta_db must be within ±24 dB, got {value:g}")
        if key == "level_db" and not -90 <= value <= 0:
            raise SessionRefused(f"level_db must be between -90 and 0, got {value:g}")
        out[key] = value
    return out


def _calmer(args: Mapping[str, object]) -> dict:
    if "off" in args:
        if args["off"] is not True or "minutes" in args:
            raise SessionRefused("calmer takes off: true alone (back to the plan), or minutes")
        return {"off": True}
    if "minutes" not in args or args["minutes"] is None:
        return {}
    minutes = _number(args, "minutes")
    if not 0 < minutes <= MAX_CALMER_MIN:
        raise SessionRefused(f"minutes must be more than 0 and at most {MAX_CALMER_MIN:g}, got {minutes:g}")
    return {"minutes": minutes}


def _checked(value: object) -> list[str] | bool:
    """The checklist's ticked items: true (all), or a list of one-line texts."""
    if value is True:
        return True
    if (not isinstance(value, list) or len(value) > MAX_CHECKLIST_ITEMS
            or not all(isinstance(i, str) and 0 < len(i) <= MAX_MARK_CHARS and is_one_line(i) for i in value)):
        raise SessionRefused(f"checked must be true or a list of at most {MAX_CHECKLIST_ITEMS} checklist items")
    return list(dict.fromkeys(value))
