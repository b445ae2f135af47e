"""The playlist's ``checkpoints:`` list: what staff must do when, checked and laid out. Pure.

Each item is ``{at: DURATION, text: TEXT}``, optionally ``repeat: DURATION`` (every so
often from ``at``) and ``until: DURATION`` (the last repeat; default the plan's end). Times
count from the session start on the session clock, pauses included: a checkpoint is about
the patient (minutes after dosing), not the music, so pausing the music does not move it.

A repeat is expanded here, so `check`, `plan`, the session and the report all see the same
flat list of `Checkpoint`s, each with the line that named it.

Anchored checkpoints: ``after: infusion_start`` (or ``infusion_end``) counts ``at`` (and a
duration ``until``) from that event as staff record it (``session-player infusion start``),
on the same session clock; such a checkpoint is never due before its event happened.
``until: infusion_end`` ends a repeat at the infusion's end: a repeat due after it is
never due. Without an event recorded, the repeats are expanded up to the plan's length.
"""

from __future__ import annotations

from typing import Protocol

from player.durations import format_duration, parse_duration
from player.oneline import is_one_line
from player.playlist.model import Checkpoint
from player.suggest import unknown_key_message
from player.yamlsafe import LineDict, LineList

CHECKPOINT_KEYS = ("at", "text", "repeat", "until", "after")
#: The events a checkpoint may count from (``after:``); a repeat may stop at ``infusion_end`` (``until:``).
ANCHORS = ("infusion_start", "infusion_end")
STOP_ANCHORS = ("infusion_end",)
MAX_CHECKPOINT_CHARS = 120
MIN_REPEAT_S = 60.0        # a shorter repeat is a unit mistake (5 for 5m), not a monitoring schedule
MAX_CHECKPOINTS = 100      # after repeats are expanded


class _Out(Protocol):
    """What `parse_checkpoints` needs of the parser's diagnostics collector (parse.Collector)."""

    def error(self, line: int, message: str) -> None: ...


def parse_checkpoints(node: object, line: int, plan_end_s: float | None, out: _Out,
                      end_margin_s: float | None = None) -> tuple[Checkpoint, ...]:
    """The expanded, time-ordered checkpoints of a ``checkpoints:`` node; errors go to `out`.

    Args:
        line: the line of the ``checkpoints`` key.
        plan_end_s: the planned session length (None when the phases did not parse: the
            end is then not checked).
        end_margin_s: the last phase's ``until: infusion_end + MARGIN``: the session lasts at
            least that long after the infusion's end, so a checkpoint up to MARGIN after it is in it.
    """
    if node is None:
        return ()
    if not isinstance(node, LineList):
        out.error(line, "'checkpoints' must be a list of {at: DURATION, text: TEXT}")
        return ()
    found: list[Checkpoint] = []
    for i, item in enumerate(node):
        found += _parse_item(item, node.line_of(i), plan_end_s, out, end_margin_s)
    seen: dict[tuple[str, float, str], int] = {}
    for cp in found:
        key = (cp.after or "", round(cp.at_s, 3), cp.text.casefold())
        if key in seen:
            out.error(cp.line, f"duplicate checkpoint {cp.text!r} at {when_text(cp)} "
                               f"(first at line {seen[key]})")
        else:
            seen[key] = cp.line
    if len(found) > MAX_CHECKPOINTS:
        out.error(line, f"{len(found)} checkpoints after repeats; the limit is {MAX_CHECKPOINTS}")
        return ()
    return tuple(sorted(found, key=lambda cp: (ANCHORS.index(cp.after) + 1 if cp.after else 0, cp.at_s, cp.line)))


def _parse_item(item: object, line: int, plan_end_s: float | None, out: _Out,
                end_margin_s: float | None = None) -> list[Checkpoint]:
    if not isinstance(item, LineDict):
        out.error(line, "a checkpoint is a mapping {at: DURATION, text: TEXT}")
        return []
    ok = True
    for key in item:
        if key not in CHECKPOINT_KEYS:
            out.error(item.line_of(key), unknown_key_message(str(key), CHECKPOINT_KEYS, "a checkpoint"))
            ok = False
    text = _text(item, out)
    after = _anchor(item, out)
    ok = ok and after is not False
    after = after or None
    at = _duration(item, "at", out, required=True)
    repeat = _duration(item, "repeat", out)
    stop = item.get("until") if item.get("until") in STOP_ANCHORS else None
    until = None if stop is not None else _until(item, out)
    if isinstance(item.get("until"), str) and until is None and stop is None:
        ok = False   # a word that names no event: nothing to expand
    if stop is not None and stop == after:
        out.error(item.line_of("until"), f"until: {stop} with after: {after}: the repeats would end before "
                                         "they begin (count after infusion_start, or until a duration)")
        ok = False
    if repeat is not None and repeat < MIN_REPEAT_S:
        out.error(item.line_of("repeat"), f"repeat must be at least {format_duration(MIN_REPEAT_S)}, "
                                          f"got {format_duration(repeat)}")
        repeat, ok = None, False
    if "until" in item and "repeat" not in item:
        out.error(item.line_of("until"), "'until' needs 'repeat' (how often until then)")
        ok = False
    if at is not None and until is not None and until < at:
        out.error(item.line_of("until"), f"until ({format_duration(until)}) is before at ({format_duration(at)})")
        ok = False
    if plan_end_s is not None:   # an anchored time is after its event: beyond the end from any start
        limit = plan_end_s
        if after == "infusion_end" and end_margin_s is not None:
            limit = max(limit, end_margin_s + 1e-6)
        for key, value in (("at", at), ("until", until)):
            if value is not None and value >= limit:
                out.error(item.line_of(key), f"checkpoint {key} {format_duration(value)} is at or beyond the "
                                             f"plan's end ({format_duration(plan_end_s)}): the session is over then")
                ok = False
    if not ok or text is None or at is None or (repeat is not None and until is None and plan_end_s is None):
        return []
    times = [at]
    if repeat is not None:
        last = until if until is not None else plan_end_s
        assert last is not None
        n = 1
        while at + n * repeat <= last + 1e-9 and (plan_end_s is None or at + n * repeat < plan_end_s) \
                and n <= MAX_CHECKPOINTS:
            times.append(at + n * repeat)
            n += 1
    return [Checkpoint(t, text, item.line, after=after, stop=stop, every_s=repeat, nth=n)
            for n, t in enumerate(times)]


def parse_phase_until(value: object) -> float:
    """A phase's ``until: infusion_end + 60m``: the margin after the infusion's end, in seconds.

    Raises:
        ValueError: it is not ``infusion_end + DURATION`` (with a positive duration).
    """
    usage = "until must be infusion_end + DURATION, e.g. until: infusion_end + 60m"
    if not isinstance(value, str) or "+" not in value:
        raise ValueError(f"{usage}, got {value!r}")
    event, _, margin = (part.strip() for part in value.partition("+"))
    if event not in STOP_ANCHORS:
        raise ValueError(f"{usage}; {event!r} is not an event a phase can last until")
    seconds = parse_duration(margin)
    if seconds <= 0:
        raise ValueError(f"{usage}; the time after the infusion's end must be positive")
    return seconds


def _anchor(item: LineDict, out: _Out) -> str | None | bool:
    """The ``after:`` event, None when absent, False when it names no known event."""
    if "after" not in item:
        return None
    value = item["after"]
    if value in ANCHORS:
        return str(value)
    out.error(item.line_of("after"), f"after: {value!r} is not an event a checkpoint can count from; "
                                     f"use {' or '.join(ANCHORS)} (recorded by session-player infusion start|end)")
    return False


def _until(item: LineDict, out: _Out) -> float | None:
    """A duration ``until:``; a word that is not one says which events a repeat may end at."""
    value = item.get("until")
    if isinstance(value, str) and value.strip() and value.strip()[0].isalpha():
        out.error(item.line_of("until"), f"until: {value!r} is neither a duration (e.g. 1h40m) nor an event "
                                         f"a repeat can end at ({', '.join(STOP_ANCHORS)})")
        return None
    return _duration(item, "until", out)


def _text(item: LineDict, out: _Out) -> str | None:
    value = item.get("text")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value).strip():
        out.error(item.line_of("text") if "text" in item else item.line,
                  "a checkpoint needs 'text', e.g. text: BP and sedation score")
        return None
    text = str(value).strip()
    if len(text) > MAX_CHECKPOINT_CHARS or not is_one_line(text):
        out.error(item.line_of("text"), f"checkpoint text must be one line of at most {MAX_CHECKPOINT_CHARS} "
                                        "characters")
        return None
    return text


def _duration(item: LineDict, key: str, out: _Out, *, required: bool = False) -> float | None:
    if key not in item:
        if required:
            out.error(item.line, f"a checkpoint needs {key!r}, e.g. {key}: 40m")
        return None
    try:
        seconds = parse_duration(item[key])
    except ValueError as exc:
        out.error(item.line_of(key), f"{key}: {exc}")
        return None
    if seconds < 0:
        out.error(item.line_of(key), f"{key} must not be negative, got {item[key]!r}")
        return None
    return seconds


def checkpoints_to_json(checkpoints: tuple[Checkpoint, ...]) -> list[dict]:
    """``[{"at_s", "text"}]`` for `plan --json` and the session's first record.

    An anchored one adds ``after`` (its `at_s` counts from that event) and ``until`` (the
    event ending its repeats).
    """
    return [{"at_s": round(cp.at_s, 3), "text": cp.text, **({"after": cp.after} if cp.after else {}),
             **({"until": cp.stop} if cp.stop else {})} for cp in checkpoints]


_EVENT_WORDS = {"infusion_start": "infusion start", "infusion_end": "infusion end"}


def when_text(cp: Checkpoint) -> str:
    """When it is due, for people: ``40:00``, or ``15 min after infusion start`` when anchored."""
    if cp.after is None:
        return format_duration(cp.at_s)
    return f"{_minutes(cp.at_s)} after {_EVENT_WORDS[cp.after]}"


def schedule_text(cp: Checkpoint, last_s: float | None = None) -> str:
    """A repeating line as `plan` shows it: "15 min after infusion start, every 15 min until infusion end".

    `last_s`: the time of its last repeat, said when the repeats end at a time rather than an event.
    """
    text = when_text(cp)
    if cp.every_s is not None:
        text += f", every {_minutes(cp.every_s)}"
        if cp.stop is not None:
            text += f" until {_EVENT_WORDS[cp.stop]}"
        elif last_s is not None and cp.after is not None:
            text += f" until {_minutes(last_s)} after {_EVENT_WORDS[cp.after]}"
    return text


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else format_duration(seconds)
