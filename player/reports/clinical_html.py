"""The HTML report's checkpoints, observations and the BP/HR plot (inline SVG, no script, no CDN).

The plot is one more row of the timeline, on the same time scale as the phase bars (the
same left label column and width), so a reading lines up with the phase it was taken in.
Systolic and diastolic are drawn as a band of two lines (mmHg, left scale), the heart rate
as a dashed line (bpm, same numbers). Text is escaped by the report's own helpers.
"""

from __future__ import annotations

from player.reports.cells import _clock, _dur, _e, _pct, _table, _td
from player.reports.recovery import NOT_RESOLVED, course_text, outcome_text

PLOT_H = 120          # SVG units (the SVG stretches to the bar's width)
PLOT_LO, PLOT_HI = 40.0, 200.0   # the vertical scale, mmHg and bpm


def _y(value: float) -> float:
    clamped = max(PLOT_LO, min(PLOT_HI, value))
    return round(PLOT_H - (clamped - PLOT_LO) / (PLOT_HI - PLOT_LO) * PLOT_H, 2)


def _line(points: list[tuple[float, float]], total_s: float, css: str, dots: bool = True) -> str:
    xy = [(round(10 * _pct(t, total_s), 2), _y(v)) for t, v in points]
    if not xy:
        return ""
    out = f'<polyline class="{css}" points="{" ".join(f"{x},{y}" for x, y in xy)}" fill="none" ' \
          'vector-effect="non-scaling-stroke"/>' if len(xy) > 1 else ""
    if dots:
        out += "".join(f'<circle class="{css}" cx="{x}" cy="{y}" r="2.5" vector-effect="non-scaling-stroke"/>'
                       for x, y in xy)
    return out


_STYLE = ("<style>.vit .sys{stroke:#c0262d;fill:#c0262d;stroke-width:2}.vit .dia{stroke:#e08e79;fill:#e08e79;"
          "stroke-width:2}.vit .hr{stroke:#1f5f9e;fill:#1f5f9e;stroke-width:1.5;stroke-dasharray:5 3}"
          ".vit .grid{stroke:#d5d9de;stroke-width:1}.bar.vitals{height:auto;background:#fff}</style>")


def vitals_plot(report: dict, total_s: float) -> str:
    """A timeline row with BP (systolic, diastolic) and HR over the session; empty when neither was observed."""
    obs = report.get("observations", {})
    bp = [o for o in obs.get("bp", []) if o["systolic"] is not None and o["diastolic"] is not None]
    hr = [o for o in obs.get("hr", []) if isinstance(o["value"], (int, float))]
    if not bp and not hr:
        return ""
    grid = "".join(f'<line class="grid" x1="0" x2="1000" y1="{_y(v)}" y2="{_y(v)}" '
                   f'vector-effect="non-scaling-stroke"/>' for v in (60, 100, 140, 180))
    svg = (f'<svg class="vit" id="vitals" viewBox="0 0 1000 {PLOT_H}" preserveAspectRatio="none" width="100%" '
           f'height="{PLOT_H}" role="img" aria-label="blood pressure and heart rate over the session">{grid}'
           + _line([(o["elapsed_s"], o["systolic"]) for o in bp], total_s, "sys")
           + _line([(o["elapsed_s"], o["diastolic"]) for o in bp], total_s, "dia")
           + _line([(o["elapsed_s"], float(o["value"])) for o in hr], total_s, "hr") + "</svg>")
    return (f'{_STYLE}<div class="tl"><div class="tlrow"><span class="lbl">BP / HR</span>'
            f'<div class="bar vitals">{svg}</div></div></div>'
            '<p class="legend"><span style="color:#c0262d">— systolic</span><span style="color:#e08e79">— '
            'diastolic (mmHg)</span><span style="color:#1f5f9e">- - heart rate (bpm)</span>'
            f'<span>scale {PLOT_LO:g}-{PLOT_HI:g}; lines at 60, 100, 140, 180</span></p>')


def clinical_sections(report: dict, day: str | None) -> str:
    """The Checkpoints section and an Observations section with one table per kind."""
    cps = report.get("checkpoints", [])
    rows = [[_td(_dur(c["at_s"]), True), _td(c["text"]), _td(c["state"]),
             _td(_dur(c["done_at_s"]) if c["done_at_s"] is not None else "–", True), _td(_clock(c["done_at"], day)),
             _td((c["by"] or "–") + (f" ({c['observation']} observation)" if c["observation"] else ""))]
            for c in cps]
    missed = {i for i, c in enumerate(cps) if c["state"] == "missed"}
    checklist = report.get("checklist", [])
    started_by = f'<p class="legend">Answered at Start; started from {_e(report["started_by"])}.</p>' \
        if checklist and report.get("started_by") else ""
    parts = ["<section><h2>Pre-session checklist</h2>", started_by,
             _table(("Item", "At Start"), [[_td(a["item"]), _td("checked" if a["checked"] else "NOT checked")]
                                           for a in checklist], "No pre-session checklist was configured.",
                    {i for i, a in enumerate(checklist) if not a["checked"]}), "</section>",
             "<section><h2>Checkpoints</h2>",
             _table(("Planned", "What", "State", "Done at", "Clock", "By"), rows, "No checkpoints in this playlist.",
                    missed), "</section>", "<section><h2>Observations</h2>"]
    observations = report.get("observations", {})
    if not observations:
        parts.append('<p class="none">No observations recorded.</p>')
    for kind, items in observations.items():
        label, unit = items[0]["label"], items[0]["unit"]
        parts.append(f"<h3>{_e(label)}{' (' + _e(unit) + ')' if unit else ''}</h3>")
        parts.append(_table(("Clock", "Session time", "Phase", "Value", "Note", "From"), [
            [_td(_clock(o["time"], day), True), _td(_dur(o["elapsed_s"]), True), _td(o["phase"]),
             _td(o["value"], kind != "note"), _td(o["note"] or ""), _td(o["source"])] for o in items], "None."))
    parts.append("</section>")
    parts.append(recovery_section(report))
    return "".join(parts)


def recovery_section(report: dict) -> str:
    """How nausea, sedation, dizziness and grogginess resolved, from the end of the infusion (or recovery)."""
    recovery = report.get("recovery") or {}
    symptoms = recovery.get("symptoms", [])
    head = ("<section><h2>Recovery: how the symptoms resolved</h2>"
            + (f'<p class="legend">Times from the {_e(recovery["from"])} ({_e(_dur(recovery["start_s"]))} into the '
               "session).</p>" if recovery.get("from") else ""))
    rows = [[_td(s["label"] + (f" ({s['unit']})" if s["unit"] else "")), _td(course_text(s)),
             _td("–" if s["first"] is None else s["first"], True), _td("–" if s["last"] is None else s["last"], True),
             _td(outcome_text(s))] for s in symptoms]
    table = _table(("Symptom", "Values (time since recovery began)", "First", "Last", "Outcome"), rows,
                   "No recovery symptoms in this report.",
                   {i for i, s in enumerate(symptoms) if s["status"] == NOT_RESOLVED})
    return head + table + "</section>"
