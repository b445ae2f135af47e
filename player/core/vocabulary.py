"""The session's vocabulary, once: its states and controls, the table of which control each
state accepts (with the refusal wording staff read), and every record type, its fields and
what it means.

Pure: no I/O, no clock. Tests walk every state x event pair.

A record is one line of a session's ``events.jsonl`` (or of the daemon's log outside a
session)::

    {"seq": 7, "time": "2026-11-25T09:12:03.120+01:00", "elapsed_s": 612.004, "type": "marked",
     "source": "web", "details": {"text": "BP 128/82"}, "session_id": "20261125-090000-room-3"}

plus ``actor`` (who, for controls from the CLI: the peer's uid) when known. ``elapsed_s``
is monotonic session time and the truth for ordering; ``time`` is the wall clock, for people.

The engine writes records only through `check_record`, the reports, the web page, the CLI
and `FakeController` describe them with `describe`, so a field renamed here is renamed
everywhere, and a record the engine writes with a missing field fails its tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from player.core.music_prefs import describe_preferences
from player.core.observations import describe_observation
from player.numbers import finite

SOURCES = ("button", "cli", "web", "mqtt", "usb", "system")
#: Sources that are people (everything except "system").
STAFF_SOURCES = ("button", "cli", "web", "mqtt", "usb")


def _t(value: object) -> str:
    return "" if value is None else str(value)


def _n(value: object) -> str:
    number = finite(value)
    return "?" if number is None else f"{number:g}"


def _percent(share: object) -> str:
    number = finite(share)
    return "?" if number is None else f"{100 * number:.2f}"


def _s(value: object) -> str:
    from player.durations import format_duration

    number = finite(value)
    return "?" if number is None else format_duration(number)


@dataclass(frozen=True)
class EventType:
    """One kind of record.

    Attributes:
        name: the record's ``type``.
        fields: detail keys every record of this type carries.
        optional: detail keys it may carry.
        text: what it means, for people (the report's tables, the web page, the CLI).
        staff: a staff action (it has its own source: button, cli, web, usb).
    """

    name: str
    fields: tuple[str, ...]
    text: Callable[[Mapping], str]
    optional: tuple[str, ...] = ()
    staff: bool = False
    doc: str = field(default="", compare=False)


_TYPES = (
    EventType("session_started", ("playlist", "playlist_path", "room", "max_db", "start_db", "default_db",
                                  "resume_policy", "phases"),
              lambda d: f"started playlist {_t(d.get('playlist'))} in {_t(d.get('room'))}",
              optional=("library", "checkpoints", "checklist"), staff=True,
              doc="a session began; phases: the plan (name, planned_start_s, planned_end_s); "
                  "checkpoints: the playlist's (at_s, text), when it has any; checklist: "
                  "the pre-session checklist's items, each {item, checked} (when session.checklist is set)"),
    EventType("state_changed", ("from", "to"), lambda d: f"{_t(d.get('from'))} -> {_t(d.get('to'))}",
              doc="the session's state (playing, paused, faulted, ended); the LED follows it"),
    EventType("phase_started", ("phase", "index", "planned_start_s", "planned_end_s"),
              lambda d: f"phase {_t(d.get('phase'))} started"),
    EventType("phase_ended", ("phase", "index"), lambda d: f"phase {_t(d.get('phase'))} ended"),
    EventType("phase_advanced", ("from", "to"),
              lambda d: f"advanced from {_t(d.get('from'))} to {_t(d.get('to'))}", staff=True),
    EventType("phase_extended", ("phase", "minutes", "planned_end_s"),
              lambda d: f"extended {_t(d.get('phase'))} by {_t(d.get('minutes'))} min "
                        f"(now ends at {_s(d.get('planned_end_s'))})", staff=True),
    EventType("paused", (), lambda d: "paused" + (f" ({d['reason']})" if d.get("reason") else ""),
              optional=("reason",), staff=True),
    EventType("resumed", ("paused_s", "planned_end_s"),
              lambda d: f"resumed after {_s(d.get('paused_s'))} paused", staff=True),
    EventType("marked", ("text",), lambda d: f"marker: {_t(d.get('text'))}", staff=True),
    EventType("volume_changed", ("from_db", "to_db"),
              lambda d: f"volume {_t(d.get('from_db'))} -> {_t(d.get('to_db'))} dB", staff=True),
    EventType("track_started", ("phase", "file"),
              lambda d: f"playing {_t(d.get('file'))}" + (" (calmer music)" if d.get("calmer") else ""),
              optional=("fallback", "calmer")),
    EventType("calmer_started", ("phase", "minutes", "until_s"),
              lambda d: "calmer music" + (f" for {_n(d.get('minutes'))} min (until {_s(d.get('until_s'))})"
                                          if d.get("minutes") is not None else " until staff switch back or the "
                                          "phase ends") + f" in {_t(d.get('phase'))}", staff=True,
              doc="staff asked for calmer music (player/core/calmer.py); asked again while it plays, "
                  "only its end changes"),
    EventType("calmer_ended", ("phase", "reason"),
              lambda d: f"back to the plan's music in {_t(d.get('phase'))} ({_t(d.get('reason'))})", staff=True,
              doc="reason: staff (calmer off), time up, phase ended, or no calmer music in the playlist now "
                  "(after a restart)"),
    EventType("track_ended", ("file",), lambda d: f"finished {_t(d.get('file'))}"),
    EventType("track_skipped", ("file", "reason"),
              lambda d: f"skipped {_t(d.get('file'))}: {_t(d.get('reason'))}", staff=True,
              doc="a staff skip (source button/cli/web) or a track that could not be played (source system)"),
    EventType("fault", ("message",), lambda d: f"fault: {_t(d.get('message'))}"),
    EventType("fault_cleared", ("message",), lambda d: f"fault cleared: {_t(d.get('message'))}"),
    EventType("daemon_restarted", ("gap_s", "policy", "state_before"),
              lambda d: f"player restarted after {_s(d.get('gap_s'))} down (resume policy {_t(d.get('policy'))})"
                        + (f"; {d['note']}" if d.get("note") else ""),
              optional=("gap_source", "note")),
    EventType("records_recovered", ("count", "since"),
              lambda d: f"{_t(d.get('count'))} record(s) kept in memory while the disk refused were written"),
    EventType("library_changed", ("generation",), lambda d: f"library is now {_t(d.get('generation'))}",
              optional=("previous",), staff=True),
    EventType("exposure", ("seconds", "leq_db", "laeq_dba", "daily_dose", "weekly_share"),
              lambda d: f"heard so far: {_t(d.get('leq_db'))} dB"
                        + (f" ({d['laeq_dba']} dBA LAeq, {_percent(d.get('daily_dose'))} % of a daily dose)"
                           if d.get("laeq_dba") is not None else "")
                        + f" over {_s(d.get('seconds'))}",
              optional=("energy", "dose"),
              doc="the level heard so far (every 5 min, and at the end): LAeq and the share of a daily "
                  "85 dBA / 8 h dose when the chair is calibrated (player/core/exposure.py)"),
    EventType("checkpoint_due", ("index", "text", "at_s"), lambda d: f"checkpoint due: {_t(d.get('text'))}",
              doc="a checkpoint's time came (silent to the patient: the page, the LED and the status show it)"),
    EventType("checkpoint_acknowledged", ("index", "text", "at_s", "late_s"),
              lambda d: f"checkpoint done: {_t(d.get('text'))}"
                        + (f" (by the {d['observation']} observation)" if d.get("observation") else ""),
              optional=("observation",), staff=True,
              doc="staff acknowledged a due checkpoint (ack, the page's button, or an observation)"),
    EventType("checkpoint_missed", ("index", "text", "at_s", "grace_s"),
              lambda d: f"checkpoint missed: {_t(d.get('text'))} (not acknowledged within {_s(d.get('grace_s'))})",
              doc="a due checkpoint was not acknowledged within session.checkpoint_grace_s"),
    EventType("observation", ("kind", "label", "unit", "value"), lambda d: f"observed {describe_observation(d)}",
              optional=("systolic", "diastolic", "note", "none"), staff=True,
              doc="a structured observation (bp, hr, spo2, rr, sedation, nausea, dizziness, grogginess, note, "
                  "or a configured kind); `none`: the scale's no-symptom value"),
    EventType("music_preferences", ("avoid", "loudness"), describe_preferences, optional=("level_db",), staff=True,
              doc="the patient's music preferences asked before Start (player/core/music_prefs.py): avoid "
                  "(items), loudness (as_planned or quieter); level_db: the level a quieter session rises to"),
    EventType("session_ended", ("reason",), lambda d: f"session ended: {_t(d.get('reason'))}", staff=True),
    EventType("music_feedback", ("answer",),
              lambda d: f"music feedback: {_t(d.get('track') or d.get('phase'))} {_t(d.get('answer'))}"
                        + (f" ({d['note']})" if d.get("note") else ""),
              optional=("track", "phase", "note"), staff=True,
              doc="the patient's answer about a track or a phase (helped, neutral, unwelcome; a note), in the "
                  "finished session's music-feedback.jsonl, not its events.jsonl (player/core/music_feedback.py)"),
)

TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}


def describe(record: Mapping) -> str:
    """One line of plain text saying what a record means (tables, CSV, the web page, the CLI)."""
    details = record.get("details") if isinstance(record.get("details"), dict) else {}
    kind = TYPES.get(str(record.get("type")))
    if kind is None:
        return f"{record.get('type')}: {json.dumps(details, ensure_ascii=False, sort_keys=True)}"
    return kind.text(details)


def check_record(type_: str, source: str, details: Mapping) -> None:
    """Raise ValueError unless `details` fit the vocabulary for `type_` (the engine's own records).

    Raises:
        ValueError: unknown type or source, a missing field, or a field the type does not have.
    """
    kind = TYPES.get(type_)
    if kind is None:
        raise ValueError(f"unknown record type {type_!r}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    missing = [f for f in kind.fields if f not in details]
    extra = [k for k in details if k not in kind.fields and k not in kind.optional]
    if missing or extra:
        raise ValueError(f"{type_}: missing {missing}, unexpected {extra}")


# --- states and controls ------------------------------------------------------------

State = Literal["idle", "ready", "playing", "paused", "faulted", "ended"]
STATES: tuple[State, ...] = ("idle", "ready", "playing", "paused", "faulted", "ended")

#: Staff controls (from the button, the CLI socket, the web page).
CONTROLS = ("load", "start", "pause", "resume", "next", "advance", "extend", "mark", "volume", "stop",
            "emergency_stop", "ack", "observe", "calmer",
            "feedback")   # music feedback after a session (player/core/music_feedback.py)
#: Inputs from the USB edge (not staff): a deferred import may become the library between sessions.
USB_INPUTS = ("apply_library",)
#: The bedside button's short press: the core decides what it means (start, pause, resume) from
#: the state it is judged in (`PRESS_MEANS`), so it has no row of its own in the table.
BUTTON_INPUTS = ("press",)
#: Inputs from inside the player (clock, audio output).
INTERNAL = ("phase_elapsed", "session_completed", "device_lost", "device_restored",
            "restart_playing", "restart_paused")   # a session cut short, taken up after a restart
EVENTS = CONTROLS + USB_INPUTS + BUTTON_INPUTS + INTERNAL

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
    # After a restart, a session cut short is taken up again playing or paused (the resume policy).
    ("idle", "restart_playing"): "playing",
    ("idle", "restart_paused"): "paused",
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
for _state in STATES:   # music feedback is about a finished session: never audible, in any state
    TRANSITIONS[(_state, "feedback")] = _state
TRANSITIONS[("playing", "device_restored")] = "playing"
for _state in ("idle", "ready", "ended"):   # never under a running session: it plays its own files
    TRANSITIONS[(_state, "apply_library")] = _state

#: What a short press means in each state; faulted: nothing (the engine is retrying the audio
#: device; a long press still ends the session).
PRESS_MEANS: dict[str, str] = {"idle": "start", "ready": "start", "ended": "start", "playing": "pause",
                               "paused": "resume"}

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


# Letters, digits, '.', '_', '-'; not starting with '.', so never '.', '..' or a hidden file.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")


def is_session_id(name: object) -> bool:
    """A session id safe as a directory name (the engine names sessions; a saved state must hold one)."""
    return isinstance(name, str) and _SESSION_ID.fullmatch(name) is not None
