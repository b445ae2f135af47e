"""The playlist's ``checkpoints:`` list: what staff must do when, checked and laid out. Pure.

Each item is ``{at: DURATION, text: TEXT}``, optionally ``repeat: DURATION`` (every so
often from ``at``) and ``until: DURATION`` (the last repeat; default the plan's end). Times
count from the session start on the session clock, pauses included: a checkpoint is about
the patient (minutes after dosing), not the music, so pausing the music does not move it.

A repeat is expanded here, so `check`, `plan`, the session and the report all see the same
flat list of `Checkpoint`s, each with the line that named it.
"""

from __future__ import annotations

from typing import Protocol

from player.durations import format_duration, parse_duration
from player.oneline import is_one_line
from player.playlist.model import Checkpoint
from player.suggest import unknown_key_message
from player.yamlsafe import LineDict, LineList

CHECKPOINT_KEYS = ("at", "text", "repeat", "until")
MAX_CHECKPOINT_CHARS = 120
MIN_REPEAT_S = 60.0        # a shorter repeat is a unit mistake (5 for 5m), not a monitoring schedule
MAX_CHECKPOINTS = 100      # after repeats are expanded


class _Out(Protocol):
    """What `parse_checkpoints` needs of the parser's diagnostics collector (parse.Collector)."""

    def error(self, line: int, message: str) -> None: ...


def parse_checkpoints(node: object, line: int, plan_end_s: float | None, out: _Out) -> tuple[Checkpoint, ...]:
    """The expanded, time-ordered checkpoints of a ``checkpoints:`` node; errors go to `out`.

    Args:
        line: the line of the ``checkpoints`` key.
        plan_end_s: the planned session length (None when the phases did not parse: the
            end is then not checked).
    """
    if node is None:
        return ()
    if not isinstance(node, LineList):
        out.error(line, "'checkpoints' must be a list of {at: DURATION, text: TEXT}")
        return ()
    found: list[Checkpoint] = []
    for i, item in enumerate(node):
        found += _parse_item(item, node.line_of(i), plan_end_s, out)
    seen: dict[tuple[float, str], int] = {}
    for cp in found:
        key = (round(cp.at_s, 3), cp.text.casefold())
        if key in seen:
            out.error(cp.line, f"duplicate checkpoint {cp.text!r} at {format_duration(cp.at_s)} "
                               f"(first at line {seen[key]})")
        else:
            seen[key] = cp.line
    if len(found) > MAX_CHECKPOINTS:
        out.error(line, f"{len(found)} checkpoints after repeats; the limit is {MAX_CHECKPOINTS}")
        return ()
    return tuple(sorted(found, key=lambda cp: (cp.at_s, cp.line)))


def _parse_item(item: object, line: int, plan_end_s: float | None, out: _Out) -> list[Checkpoint]:
    if not isinstance(item, LineDict):
        out.error(line, "a checkpoint is a mapping {at: DURATION, text: TEXT}")
        return []
    ok = True
    for key in item:
        if key not in CHECKPOINT_KEYS:
            out.error(item.line_of(key), unknown_key_message(str(key), CHECKPOINT_KEYS, "a checkpoint"))
            ok = False
    text = _text(item, out)
    at = _duration(item, "at", out, required=True)
    repeat = _duration(item, "repeat", out)
    until = _duration(item, "until", out)
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
    if plan_end_s is not None:
        for key, value in (("at", at), ("until", until)):
            if value is not None and value >= plan_end_s:
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
    return [Checkpoint(t, text, item.line) for t in times]


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
    """``[{"at_s", "text"}]`` for `plan --json` and the session's first record."""
    return [{"at_s": round(cp.at_s, 3), "text": cp.text} for cp in checkpoints]
