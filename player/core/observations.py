"""Structured observations staff record during a session (``observe bp 128/82``): one table, pure.

Each kind has a label (what a checkpoint's text starts with for the observation to
acknowledge it: "BP" for ``bp``), a unit and a plausible range. A value outside the range is
a typo far more often than a reading (``bp 1280/82``), so it is refused with what to fix and
nothing is logged; the range is wide enough for any real reading. A clinic adds its own kinds,
or narrows a built-in one to its scale, in the config (``session.observation_kinds``):

    session:
      observation_kinds:
        etco2: {unit: mmHg, min: 10, max: 80}
        sedation: {label: MOAA/S, unit: score, min: 0, max: 5}

Never patient identifiers: values are numbers, a note is one short line (as a mark).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from player.core.observation_kinds import ObservationKind, kinds_table
from player.numbers import finite, shown
from player.oneline import is_one_line

MAX_NOTE_CHARS = 200
_NUMBER = re.compile(r"[-+]?\d{1,4}(\.\d{1,2})?")
_PAIR = re.compile(r"(\d{1,4})\s*/\s*(\d{1,4})")


def check_observation(kind: object, value: object, note: object = None,
                      extra: Mapping[str, ObservationKind] | None = None) -> dict:
    """Validate one observation; return the details of its ``observation`` record.

    Args:
        kind: the kind's name (``bp``).
        value: what staff typed: ``"128/82"`` (or ``"128 82"``), ``72``, a note's text.
        note: an optional one-line note.

    Raises:
        ValueError: what is wrong and what is expected, for staff.
    """
    table = kinds_table(extra)
    if not isinstance(kind, str) or kind.strip().lower() not in table:
        raise ValueError(f"unknown observation {kind!r}; one of {', '.join(table)}")
    k = table[kind.strip().lower()]
    details: dict[str, object] = {"kind": k.name, "label": k.label, "unit": k.unit}
    if note is not None:
        details["note"] = _line(note, "--note")
    text = _value_text(value)
    if k.form == "text":
        if note is not None:
            raise ValueError("a note takes its text only, no --note")
        details["value"] = _line(text, "a note")
        return details
    if not text:
        raise ValueError(f"{k.name} needs a value, e.g. {_example(k)}")
    if k.form == "pair":
        m = _PAIR.fullmatch(text) or re.fullmatch(r"(\d{1,4})\s+(\d{1,4})", text)
        if m is None:
            raise ValueError(f"bp is systolic/diastolic in {k.unit}, e.g. bp 128/82; got {text!r}")
        sys_, dia = int(m.group(1)), int(m.group(2))
        _in_range(k, "systolic", sys_, k.lo, k.hi)
        _in_range(k, "diastolic", dia, k.dia_lo, k.dia_hi)
        if sys_ <= dia:
            raise ValueError(f"bp {sys_}/{dia}: systolic must be above diastolic (written systolic/diastolic)")
        details.update(value=f"{sys_}/{dia}", systolic=sys_, diastolic=dia)
        return details
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{k.name} is a number in {k.unit or 'its unit'}, e.g. {_example(k)}; got {text!r}")
    number = float(text)
    if k.integer and not number.is_integer():
        raise ValueError(f"{k.name} is a whole number, e.g. {_example(k)}; got {text!r}")
    _in_range(k, k.name, number, k.lo, k.hi)
    details["value"] = int(number) if k.integer else number
    if k.none is not None:  # kept with the value, so the report knows "resolved" on the clinic's scale
        details["none"] = int(k.none) if k.integer else k.none
    return details


def describe_observation(d: Mapping) -> str:
    """``BP 128/82 mmHg (after standing)``: the record's human text (any field of a damaged log reads as text)."""
    label, value, unit = str(d.get("label") or d.get("kind")), d.get("value"), str(d.get("unit") or "")
    text = f"{label}: {value}" if d.get("kind") == "note" else f"{label} {value}{' ' + unit if unit else ''}"
    return text + (f" ({d['note']})" if d.get("note") else "")


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError(f"expected a value such as 72 or 128/82, got {value!r}")
    if isinstance(value, (int, float)):
        number = finite(value)
        if number is None:
            raise ValueError(f"expected a finite number, got {shown(value)}")
        return f"{number:g}"
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return " ".join(v.strip() for v in value).strip()
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    raise ValueError(f"expected a value such as 72 or 128/82, got {type(value).__name__}")


def _line(text: object, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{what} needs text")
    text = text.strip()
    if len(text) > MAX_NOTE_CHARS or not is_one_line(text):
        raise ValueError(f"{what} must be one line of at most {MAX_NOTE_CHARS} characters (no patient names)")
    return text


def _in_range(k: ObservationKind, what: str, value: float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        unit = f" {k.unit}" if k.unit else ""
        raise ValueError(f"{what} {value:g}{unit} is outside the plausible range {lo:g}-{hi:g}{unit}: "
                         "a typo? nothing was recorded")


def _example(k: ObservationKind) -> str:
    mid = (k.lo + k.hi) / 2 if math.isfinite(k.lo) and math.isfinite(k.hi) else 1
    value = f"{int(mid) if k.integer else round(mid, 1):g}"
    return f"{k.name} {value}/{int((k.dia_lo + k.dia_hi) / 2)}" if k.form == "pair" else f"{k.name} {value}"
