"""How the edges (bedside button, CLI socket, web page, USB unit) steer a session.

Every edge talks to a `Controller` and nothing else: `submit()` puts a control on the
session engine's queue and waits until the engine has acted on it and its event is
fsync'd in the log; `status()` is a snapshot; `subscribe()` delivers each event record.
`SessionEngine` is the real controller; `FakeController` (player/control/fake.py)
follows the same state table for fast tests of the edges.

`check_control` is the one place arguments of a control are validated, so the button, the
socket and the web API accept and refuse exactly the same things; it returns the control as
its class (player/core/controls.py), and from there on every hop is typed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from player.core.controls import Control, control
from player.core.music_feedback import check_answer
from player.core.music_prefs import MusicPreferences, check_preferences
from player.core.observation_kinds import ObservationKind
from player.core.observations import check_observation
from player.core.vocabulary import BUTTON_INPUTS, CONTROLS, SOURCES, USB_INPUTS
from player.errors import SessionRefused
from player.numbers import finite, shown
from player.oneline import is_one_line

MAX_MARK_CHARS = 200
MAX_EXTEND_MIN = 120.0
MAX_CALMER_MIN = 240.0
MIN_CALMER_MIN = 1.0     # shorter is not a calmer period (1e-9 minutes would start and end it at once)
MAX_CHECKLIST_ITEMS = 30

#: Keys always present in a status snapshot (`Controller.status()`, `session-player status --json`).
STATUS_KEYS = ("state", "phase", "phase_index", "session_id", "room", "playlist", "elapsed_s",
               "phase_elapsed_s", "phase_remaining_s", "remaining_s", "track", "volume_db", "volume_now_db",
               "level_db", "max_db", "audio", "faults", "records_pending", "phases",
               "volume_dba", "max_dba", "heard_dba",   # (dBA: None unless the chair is calibrated)
               "checkpoints",   # [{"at_s", "text", "state", "done_at_s"}] (player/core/checkpoints.py)
               "calmer", "calmer_available",   # calmer music: None or {since_s, until_s}; the phase has some
               "track_title")   # what the page shows for `track`: its title tag, else the file name

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

    def submit(self, action: str, *, source: str, timeout_s: float = 10.0,
               wanted: Callable[[], bool] | None = None, **args: object) -> dict:
        """Queue a control and wait for the engine to act on it and log it durably.

        A control whose `timeout_s` has passed, or whose `wanted()` says False (its caller
        hung up), when the engine's turn comes is dropped, never applied late.

        Returns:
            the status snapshot right after the control took effect; a bedside ``press`` also
            says what it meant under ``press`` (start, pause or resume: the session core decides).

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
    number = finite(value)
    if number is None:
        raise SessionRefused(f"{key} must be a number, got {shown(value)}")
    return number


def check_control(action: str, source: str, args: Mapping[str, object],
                  kinds: Mapping[str, ObservationKind] | None = None) -> Control:
    """Validate a control's action, source and arguments; return the control (its `args` normalized).

    Arguments per action: ``start`` takes ``playlist`` (a path; omitted = the configured
    default playlist); ``extend`` takes ``minutes`` (default 5, 0 < m <= 120); ``mark`` takes
    ``text`` (1-200 characters, one line); ``volume`` takes ``delta_db`` (a step, + or -) or
    ``level_db`` (an absolute level; both are clamped to the cap by the engine); ``ack`` takes
    ``text`` (optional: the start of the due checkpoint's text); ``observe`` takes ``kind``,
    ``value`` and optional ``note`` (player/core/observations.py, with the config's extra
    `kinds`: a value out of its plausible range is refused here, so nothing is logged); ``calmer`` takes
    ``minutes`` (1 <= m <= 240; omitted = until ``off`` or the phase ends) or ``off: true``; ``start``
    also takes ``checked``: the pre-session checklist's items ticked (a list), or true for all, and
    ``preferences``: the patient's music preferences, ``{"avoid": [...], "loudness": "quieter"}``.
    ``press`` (the bedside button's short press, source ``button`` only) takes ``playlist``
    like ``start``: the session core decides whether it starts, pauses or resumes.
    ``feedback`` takes ``session``, ``track`` or ``phase``, ``answer`` and optional ``note``
    (player/core/music_feedback.py `check_answer`).
    Others take none.

    Raises:
        SessionRefused: with a message staff can act on.
    """
    if action in USB_INPUTS:
        if source != "usb" or args:
            raise SessionRefused(f"{action} comes from the USB import only, with no arguments")
        return control(action)
    if action in BUTTON_INPUTS and source != "button":
        raise SessionRefused(f"{action} comes from the bedside button only")
    if action not in CONTROLS + BUTTON_INPUTS:
        raise SessionRefused(f"unknown action {action!r}; known actions: {', '.join(CONTROLS)}")
    if source not in SOURCES:
        raise SessionRefused(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    allowed = {"start": {"playlist", "checked", "preferences"}, "load": {"playlist"}, "press": {"playlist"},
               "extend": {"minutes"},
               "mark": {"text"},
               "volume": {"delta_db", "level_db"}, "ack": {"text"},
               "observe": {"kind", "value", "note"}, "calmer": {"minutes", "off"},
               "feedback": {"session", "track", "phase", "answer", "note"}}.get(action, set())
    extra = set(args) - allowed
    if extra:
        raise SessionRefused(f"{action} takes no {', '.join(sorted(extra))}"
                             + (f" (only {', '.join(sorted(allowed))})" if allowed else ""))
    check = _ARGUMENTS.get(action)
    return control(action, {} if check is None else check(args, kinds))


def _playlist(args: Mapping[str, object], kinds: object = None) -> dict:
    out: dict[str, object] = {}
    playlist = args.get("playlist")
    if playlist is not None:
        if not isinstance(playlist, str) or not playlist.strip() or "\0" in playlist:
            raise SessionRefused(f"playlist must be a path, got {playlist!r}")
        out["playlist"] = playlist
    if "checked" in args:
        out["checked"] = _checked(args["checked"])
    if "preferences" in args:
        out["preferences"] = _preferences(args["preferences"])
    return out


def _extend(args: Mapping[str, object], kinds: object = None) -> dict:
    minutes = _number(args, "minutes", 5.0)
    if not 0 < minutes <= MAX_EXTEND_MIN:
        raise SessionRefused(f"minutes must be more than 0 and at most {MAX_EXTEND_MIN:g}, got {minutes:g}")
    return {"minutes": minutes}


def _mark(args: Mapping[str, object], kinds: object = None) -> dict:
    text = args.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SessionRefused("a mark needs text, e.g. 'BP 128/82'")
    text = text.strip()
    if len(text) > MAX_MARK_CHARS or not is_one_line(text):
        raise SessionRefused(f"mark text must be one line of at most {MAX_MARK_CHARS} characters")
    return {"text": text}


def _ack(args: Mapping[str, object], kinds: object = None) -> dict:
    text = args.get("text")
    if text is None:
        return {}
    if not isinstance(text, str) or len(text) > MAX_MARK_CHARS or not is_one_line(text):
        raise SessionRefused(f"ack text must be one line of at most {MAX_MARK_CHARS} characters")
    return {"text": text.strip()} if text.strip() else {}


def _observe(args: Mapping[str, object], kinds: Mapping[str, ObservationKind] | None = None) -> dict:
    try:
        details = check_observation(args.get("kind"), args.get("value"), args.get("note"), kinds)
    except ValueError as exc:
        raise SessionRefused(str(exc)) from None
    return {"kind": details["kind"], "value": details["value"], **({"note": details["note"]} if "note" in details
                                                                     else {})}


def _volume(args: Mapping[str, object], kinds: object = None) -> dict:
    if ("delta_db" in args) == ("level_db" in args):
        raise SessionRefused("volume takes exactly one of delta_db (a step) or level_db (a level)")
    key = "delta_db" if "delta_db" in args else "level_db"
    value = _number(args, key)
    if key == "delta_db" and abs(value) > 24:
        raise SessionRefused(f"delta_db must be within ±24 dB, got {value:g}")
    if key == "level_db" and not -90 <= value <= 0:
        raise SessionRefused(f"level_db must be between -90 and 0, got {value:g}")
    return {key: value}


def _calmer(args: Mapping[str, object], kinds: object = None) -> dict:
    if "off" in args:
        if args["off"] is not True or "minutes" in args:
            raise SessionRefused("calmer takes off: true alone (back to the plan), or minutes")
        return {"off": True}
    if "minutes" not in args or args["minutes"] is None:
        return {}
    minutes = _number(args, "minutes")
    if not 0 < minutes <= MAX_CALMER_MIN:
        raise SessionRefused(f"minutes must be more than 0 and at most {MAX_CALMER_MIN:g}, got {minutes:g}")
    if minutes < MIN_CALMER_MIN:
        raise SessionRefused(f"a calmer period lasts at least {MIN_CALMER_MIN:g} minute, got {minutes:g}")
    return {"minutes": minutes}


def _checked(value: object) -> list[str] | bool:
    """The checklist's ticked items: true (all), or a list of one-line texts."""
    if value is True:
        return True
    if (not isinstance(value, list) or len(value) > MAX_CHECKLIST_ITEMS
            or not all(isinstance(i, str) and 0 < len(i) <= MAX_MARK_CHARS and is_one_line(i) for i in value)):
        raise SessionRefused(f"checked must be true or a list of at most {MAX_CHECKLIST_ITEMS} checklist items")
    return list(dict.fromkeys(value))


def _feedback(args: Mapping[str, object], kinds: object = None) -> dict:
    try:
        return check_answer(args)
    except ValueError as exc:
        raise SessionRefused(str(exc)) from None


def _preferences(value: object) -> MusicPreferences:
    """The patient's music preferences (player/core/music_prefs.py): refused with its wording."""
    try:
        return check_preferences(value)
    except ValueError as exc:
        raise SessionRefused(str(exc)) from None


#: Each control's own argument checks (after the allowed keys are checked); a control not
#: listed takes no arguments.
_ARGUMENTS: dict[str, Callable[..., dict]] = {
    "start": _playlist, "load": _playlist, "press": _playlist, "calmer": _calmer, "extend": _extend, "mark": _mark,
    "ack": _ack, "observe": _observe, "volume": _volume,
    "feedback": _feedback}
