"""The kinds of observation staff record (bp, hr, spo2, ...): one table of plain data, pure.

The built-in kinds, and `parse_kinds` for a clinic's own kinds or narrowed ranges from the
config (``session.observation_kinds``, checked when the config loads). Checking and wording
one observation is player/core/observations.py's job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from player.numbers import finite, shown
from player.oneline import is_one_line

_NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")


@dataclass(frozen=True)
class ObservationKind:
    """One kind of observation.

    Attributes:
        name: what staff type (``bp``).
        label: how it is shown, and what a checkpoint's text starts with to be acknowledged by it.
        unit: shown after the value, kept in the record.
        lo, hi: the plausible range (for ``bp``: the systolic one; `dia_lo`, `dia_hi` the diastolic).
        integer: whole numbers only.
        form: "number", "pair" (systolic/diastolic) or "text" (a note).
        none: the value that means "no symptom" on the kind's scale (0 for nausea), or None when the
            scale has no such value the player can know (sedation: RASS 0 but MOAA/S 5); the
            report's recovery course calls a symptom resolved when its last value is this one.
    """

    name: str
    label: str
    unit: str
    lo: float = -math.inf
    hi: float = math.inf
    integer: bool = True
    form: str = "number"
    dia_lo: float = 0.0
    dia_hi: float = 0.0
    none: float | None = None


BUILTIN: dict[str, ObservationKind] = {k.name: k for k in (
    ObservationKind("bp", "BP", "mmHg", 50, 260, form="pair", dia_lo=20, dia_hi=160),
    ObservationKind("hr", "HR", "bpm", 20, 250),
    ObservationKind("spo2", "SpO2", "%", 50, 100),
    ObservationKind("rr", "RR", "/min", 4, 60),
    ObservationKind("sedation", "Sedation", "score", -5, 6),   # wide enough for RASS, MOAA/S, Ramsay
    ObservationKind("nausea", "Nausea", "0-10", 0, 10, none=0),
    # The guidance's other recovery effects, rated like nausea (0 none, 10 worst imaginable).
    ObservationKind("dizziness", "Dizziness", "0-10", 0, 10, none=0),
    ObservationKind("grogginess", "Grogginess", "0-10", 0, 10, none=0),
    ObservationKind("note", "Note", "", form="text"),
)}


def parse_kinds(value: object) -> dict[str, ObservationKind]:
    """``session.observation_kinds`` from the config: extra kinds, or a built-in one's range changed.

    Raises:
        ValueError: a short message naming the kind and key to fix.
    """
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of kinds, e.g. {etco2: {unit: mmHg, min: 10, max: 80}}")
    out: dict[str, ObservationKind] = {}
    for name, spec in value.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"kind {name!r} must be a short lower-case word (letters, digits, _)")
        if not isinstance(spec, Mapping) or set(spec) - {"label", "unit", "min", "max", "integer", "none"}:
            raise ValueError(f"{name}: expected {{label, unit, min, max, integer, none}}")
        base = BUILTIN.get(name)
        if base is not None and base.form != "number":
            raise ValueError(f"{name}: a built-in kind whose form is {base.form}; only number kinds can change")
        lo, hi = spec.get("min", base.lo if base else None), spec.get("max", base.hi if base else None)
        for key, bound in (("min", lo), ("max", hi)):
            if finite(bound) is None:
                raise ValueError(f"{name}.{key}: expected a number, got {shown(bound)}")
        if lo >= hi:
            raise ValueError(f"{name}: min ({lo:g}) must be below max ({hi:g})")
        label, unit = spec.get("label", base.label if base else name), spec.get("unit", base.unit if base else "")
        for key, text in (("label", label), ("unit", unit)):
            if not isinstance(text, str) or len(text) > 20 or not is_one_line(text):
                raise ValueError(f"{name}.{key}: expected one short line of text, got {text!r}")
        integer = spec.get("integer", base.integer if base else False)
        if not isinstance(integer, bool):
            raise ValueError(f"{name}.integer: expected true or false, got {integer!r}")
        none = _none_level(name, spec, base, lo, hi)
        out[name] = ObservationKind(name, label or name, unit, float(lo), float(hi), integer, none=none)
    return out


def _none_level(name: str, spec: Mapping, base: ObservationKind | None, lo: float, hi: float) -> float | None:
    """The kind's "no symptom" value: the config's ``none`` (null: none), else the built-in's; inside min-max."""
    if "none" in spec:
        none = spec["none"]
        if none is not None and finite(none) is None:
            raise ValueError(f"{name}.none: expected the scale's 'no symptom' number or null, got {shown(none)}")
    else:
        none = base.none if base else None
    if none is not None and not lo <= none <= hi:
        raise ValueError(f"{name}.none: {none:g} is outside min-max ({lo:g}-{hi:g}); set none: to the scale's "
                         "'no symptom' value, or null")
    return None if none is None else float(none)


def kinds_table(extra: Mapping[str, ObservationKind] | None = None) -> dict[str, ObservationKind]:
    """The built-in kinds with the config's additions and changes."""
    return {**BUILTIN, **(extra or {})}
