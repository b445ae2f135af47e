"""How the recovery symptoms resolved: nausea, sedation, dizziness, grogginess over the recovery hour. Pure.

The clinic's guidance: the first hour after the infusion is monitored, and dizziness, nausea or
grogginess usually resolve within 30-60 minutes. `recovery_course` reads a summarized report
(player/reports/report.py) and gives, for each recovery symptom, its values in time order with
the time since recovery began, the first and the last value, and whether it resolved (the last
value is the scale's "no symptom" level, kept in each observation record as ``none``).

Recovery begins at the end of the infusion when an ``infusion_ended`` record exists (staff
record it; `infusion_end_s` is the one place that reads it), else when the recovery phase (a
phase named "recovery...") started; with neither, the session never reached recovery. Every
observation from then to the end of the log counts: a patient kept longer is still recovering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from player.core.observation_kinds import BUILTIN
from player.durations import format_duration
from player.numbers import finite

#: The guidance's recovery effects, in the order the report lists them.
RECOVERY_KINDS = ("nausea", "sedation", "dizziness", "grogginess")
#: The record staff make when the infusion ends, and what recovery is then counted from.
INFUSION_ENDED = "infusion_ended"
FROM_INFUSION_END, FROM_RECOVERY_PHASE = "infusion end", "recovery phase start"
RESOLVED, NOT_RESOLVED, NO_NONE_LEVEL, NOT_OBSERVED, NOT_REACHED = (
    "resolved", "not resolved", "no 'none' level on this scale", "not observed", "recovery not reached")


def infusion_end_s(events: Iterable[object]) -> float | None:
    """Session time of the infusion's end: the last ``infusion_ended`` record (a correction wins).

    Its ``details.at_s`` when the record names one, else the record's own ``elapsed_s``.
    """
    end = None
    for rec in events:
        if isinstance(rec, Mapping) and rec.get("type") == INFUSION_ENDED:
            details = rec.get("details") if isinstance(rec.get("details"), Mapping) else {}
            at = finite(details.get("at_s"))
            at = finite(rec.get("elapsed_s")) if at is None else at
            end = at if at is not None else end
    return end


def recovery_phase_start_s(phases: Iterable[object]) -> float | None:
    """When the (last started) phase named "recovery..." began, or None."""
    start = None
    for row in phases:
        if isinstance(row, Mapping) and str(row.get("name") or "").strip().lower().startswith("recover"):
            at = finite(row.get("actual_start_s"))
            start = at if at is not None else start
    return start


def recovery_start(report: Mapping) -> tuple[float | None, str | None]:
    """(session time recovery began, what it is counted from), or (None, None) when it never began."""
    end = infusion_end_s(report.get("events") or ())
    if end is not None:
        return end, FROM_INFUSION_END
    start = recovery_phase_start_s(report.get("phases") or ())
    return (start, FROM_RECOVERY_PHASE) if start is not None else (None, None)


def _none_level(kind: str, records: list[Mapping]) -> float | None:
    """The scale's "no symptom" value: as recorded with the last observation, else the built-in kind's."""
    for o in reversed(records):
        level = finite(o.get("none"))
        if level is not None:
            return level
    base = BUILTIN.get(kind)
    return base.none if base else None


def symptom_course(kind: str, observations: Iterable[object], start_s: float | None) -> dict:
    """One symptom's values from `start_s` on, in time order, and whether it resolved.

    Returns: kind, label, unit, none (the scale's no-symptom value or None), values (each:
    since_s from recovery start, elapsed_s, time, value, source), first, last, resolved (True,
    False, or None when unknown), resolved_since_s (since when it has stayed at none) and status.
    """
    rows = [o for o in observations if isinstance(o, Mapping)]
    inside = [] if start_s is None else sorted(
        (o for o in rows if finite(o.get("value")) is not None and not isinstance(o.get("value"), bool)
         and finite(o.get("elapsed_s")) is not None and finite(o.get("elapsed_s")) >= start_s),
        key=lambda o: finite(o.get("elapsed_s")))
    base = BUILTIN.get(kind)
    last_row = (inside or rows or [{}])[-1]
    none = _none_level(kind, inside or rows)
    values = [{"since_s": finite(o.get("elapsed_s")) - start_s, "elapsed_s": finite(o.get("elapsed_s")),
               "time": o.get("time"), "value": o.get("value"), "source": o.get("source")} for o in inside]
    resolved, since = None, None
    if values and none is not None:
        resolved = values[-1]["value"] == none
        for v in reversed(values):
            if v["value"] != none:
                break
            since = v["since_s"]
    if start_s is None:
        status = NOT_REACHED
    elif not values:
        status = NOT_OBSERVED
    else:
        status = NO_NONE_LEVEL if resolved is None else RESOLVED if resolved else NOT_RESOLVED
    return {"kind": kind, "label": str(last_row.get("label") or (base.label if base else kind)),
            "unit": str(last_row.get("unit") or (base.unit if base else "")), "none": none, "values": values,
            "first": values[0]["value"] if values else None, "last": values[-1]["value"] if values else None,
            "resolved": resolved, "resolved_since_s": since, "status": status}


def recovery_course(report: Mapping) -> dict:
    """The report's ``recovery``: from (what recovery is counted from), start_s, one course per symptom."""
    start_s, counted_from = recovery_start(report)
    observations = report.get("observations") if isinstance(report.get("observations"), Mapping) else {}
    return {"from": counted_from, "start_s": start_s,
            "symptoms": [symptom_course(kind, observations.get(kind) or (), start_s) for kind in RECOVERY_KINDS]}


def _num(value: object) -> str:
    number = finite(value)
    return "?" if number is None else f"{number:g}"


def course_text(symptom: Mapping) -> str:
    """``4 → 2 → 0 (0:05, 0:20, 0:40)``: the values in order, with the time of each since recovery began."""
    values = symptom.get("values") or []
    if not values:
        return "–"
    return (" → ".join(_num(v["value"]) for v in values)
            + " (" + ", ".join(format_duration(v["since_s"]) for v in values) + ")")


def outcome_text(symptom: Mapping) -> str:
    """``resolved (0 since 0:40)``, ``not resolved (last 3)``, or the status as it is."""
    status = symptom.get("status")
    if status == RESOLVED:   # resolved: at least its last value is at none, so resolved_since_s is set
        return f"{RESOLVED} ({_num(symptom.get('none'))} since {format_duration(symptom['resolved_since_s'])})"
    if status == NOT_RESOLVED:
        return f"{NOT_RESOLVED} (last {_num(symptom.get('last'))}; none is {_num(symptom.get('none'))})"
    return str(status)
