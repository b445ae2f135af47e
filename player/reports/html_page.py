"""The session report as one self-contained HTML page a nurse can read and print.

No scripts, no external files: inline CSS only, so the page opens from a USB stick on any
computer and prints on one or two sheets. Every piece of recorded text (markers are free
text typed by staff) is HTML-escaped. The timeline draws planned and actual phases as two
bars on the same time scale, with pauses, markers, faults and restarts on the actual bar.
"""

from __future__ import annotations

import math

from player.core.exposure import exposure_text
from player.core.vocabulary import describe
from player.reports.cells import _clock, _dur, _e, _pct, _table, _td
from player.reports.clinical_html import clinical_sections, vitals_plot
from player.reports.preferences import preferences_section

_PHASE_COLOURS = ("#8fb8de", "#f2c46d", "#e08e79", "#9fd4a3", "#c3a6d8", "#86cfc8", "#d8b08c", "#b5bdc7")

_CSS = """
*{box-sizing:border-box}
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24;background:#fff;
 margin:0 auto;padding:16px 20px;max-width:1100px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:22px 0 6px;border-bottom:1px solid #ccd;padding-bottom:2px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:2px 18px;margin:8px 0}
.facts div{display:flex;gap:6px}.facts dt{color:#555;min-width:90px}.facts dd{margin:0;font-weight:600}
.warn{background:#fff4d6;border:1px solid #e0b84c;padding:6px 10px;border-radius:4px}
.tl{margin:6px 0 2px;padding-right:28px}.tlrow{display:flex;align-items:center;margin:3px 0}
.tlrow .lbl{width:70px;flex:none;font-size:.85em;color:#444}
.bar{position:relative;flex:1;height:30px;background:#f1f3f5;border:1px solid #c9ced4;border-radius:3px}
.bar.axis{height:18px;background:none;border:none}
.seg{position:absolute;top:0;bottom:0;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;font-size:.78em;
 padding:6px 3px 0;border-right:1px solid #fff;color:#1b1f24}
.seg.open{background-image:repeating-linear-gradient(90deg,transparent 0 6px,rgba(255,255,255,.55) 6px 9px)}
.pause{position:absolute;top:0;bottom:0;background:repeating-linear-gradient(45deg,#555 0 3px,transparent 3px 7px);
 opacity:.55}
.tick{position:absolute;top:-4px;bottom:-4px;width:0;border-left:2px solid #1b1f24}
.tick span{position:absolute;top:-15px;left:-6px;font-size:.7em;font-weight:700;background:#fff;border-radius:2px;
 padding:0 2px;line-height:1.2}
.tick.fault{border-left-color:#c0262d}.tick.fault span{color:#c0262d}
.tick.restart{border-left:2px dashed #6a3d9a}.tick.restart span{color:#6a3d9a}
.axis .t{position:absolute;top:0;font-size:.72em;color:#555;transform:translateX(-50%)}
.legend{font-size:.8em;color:#444;margin:8px 0 0}.legend span{margin-right:14px;white-space:nowrap}
.sw{display:inline-block;width:14px;height:10px;vertical-align:middle;margin-right:3px;border:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:4px 0}
th,td{border:1px solid #d5d9de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fdecec}.none{color:#666;font-style:italic}
footer{margin-top:26px;font-size:.8em;color:#555;border-top:1px solid #ccd;padding-top:6px}
details summary{cursor:pointer;font-weight:600;margin-top:18px}
@media print{body{max-width:none;padding:0;font-size:11pt;background:#fff;color:#000}
 details:not([open]){display:none}h2{break-after:avoid}tr,.tl{break-inside:avoid}
 @page{margin:12mm}}
"""


def _db(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} dB"


def _span(start_s: float, end_s: float, total_s: float) -> str:
    left = _pct(start_s, total_s)
    width = max(0.0, _pct(end_s, total_s) - left)
    return f"left:{left:.3f}%;width:{width:.3f}%"


def timeline_span_s(report: dict) -> float:
    """The time the timeline bars cover: the plan, its adjustments and what happened."""
    ends = [report.get("duration_s") or 0.0]
    for p in report["phases"]:
        ends += [v for v in (p["planned_end_s"], p["adjusted_end_s"], p["actual_end_s"]) if v is not None]
    return max(ends) or 1.0


def _tick_step(total_s: float) -> float:
    for step in (60, 120, 300, 600, 900, 1800, 3600, 7200):
        if total_s / step <= 10:
            return float(step)
    # Multiples of 4 h keep the axis at about ten labels however long the log claims to be.
    return 14400.0 * math.ceil(total_s / 10 / 14400.0)


def _timeline(report: dict) -> str:
    total = timeline_span_s(report)
    phases = report["phases"]
    planned, actual = [], []
    for p in phases:
        colour = _PHASE_COLOURS[p["index"] % len(_PHASE_COLOURS)]
        if p["planned_start_s"] is not None and p["planned_end_s"] is not None:
            title = f"{p['name']}: planned {_dur(p['planned_start_s'])}–{_dur(p['planned_end_s'])}"
            planned.append(f'<div class="seg" data-phase="{_e(p["name"])}" data-kind="planned" '
                           f'style="{_span(p["planned_start_s"], p["planned_end_s"], total)};background:{colour}" '
                           f'title="{_e(title)}">{_e(p["name"])}</div>')
        if p["actual_start_s"] is not None:
            is_open = p["actual_end_s"] is None
            end = report["duration_s"] if is_open else p["actual_end_s"]
            title = f"{p['name']}: actual {_dur(p['actual_start_s'])}–{'now' if is_open else _dur(end)}"
            actual.append(f'<div class="seg{" open" if is_open else ""}" data-phase="{_e(p["name"])}" '
                          f'data-kind="actual" style="{_span(p["actual_start_s"], end, total)};background:{colour}" '
                          f'title="{_e(title)}">{_e(p["name"])}</div>')
    for pause in report["pauses"]:
        end = pause["end_s"] if pause["end_s"] is not None else report["duration_s"]
        actual.append(f'<div class="pause" style="{_span(pause["start_s"], end, total)}" '
                      f'title="{_e("paused " + _dur(end - pause["start_s"]))}"></div>')
    for n, marker in enumerate(report["markers"], 1):
        actual.append(f'<div class="tick" style="left:{_pct(marker["elapsed_s"], total):.3f}%" '
                      f'title="{_e(str(n) + ". " + marker["text"])}"><span>{n}</span></div>')
    for fault in report["faults"]:
        actual.append(f'<div class="tick fault" style="left:{_pct(fault["elapsed_s"], total):.3f}%" '
                      f'title="{_e("fault: " + fault["message"])}"><span>!</span></div>')
    for restart in report["restarts"]:
        actual.append(f'<div class="tick restart" style="left:{_pct(restart["elapsed_s"], total):.3f}%" '
                      f'title="{_e("restart after " + _dur(restart["gap_s"]) + " down")}"><span>R</span></div>')
    step = _tick_step(total)
    axis = []
    t = 0.0
    while t <= total + 1e-9:
        axis.append(f'<span class="t" style="left:{_pct(t, total):.3f}%">{_dur(t)}</span>')
        t += step
    return (
        '<div class="tl" role="img" aria-label="planned and actual phases">'
        f'<div class="tlrow"><span class="lbl">Planned</span>'
        f'<div class="bar" id="planned">{"".join(planned)}</div></div>'
        f'<div class="tlrow"><span class="lbl">Actual</span><div class="bar" id="actual">{"".join(actual)}</div></div>'
        f'<div class="tlrow"><span class="lbl"></span><div class="bar axis">{"".join(axis)}</div></div></div>'
        '<p class="legend"><span><i class="sw" '
        'style="background:repeating-linear-gradient(45deg,#555 0 3px,#fff 3px 7px)"></i>paused</span>'
        '<span><b>1, 2…</b> markers</span><span><b style="color:#c0262d">!</b> fault</span>'
        '<span><b style="color:#6a3d9a">R</b> player restarted</span>'
        '<span>times are from the start of the session (h:mm:ss)</span></p>'
    )


def render_html(report: dict) -> str:
    """The whole page as a string (UTF-8 when written)."""
    day = (report["started"] or "")[:10] or None
    volume = report["volume"]
    outcome = {"completed": "completed", "stopped": "stopped by staff", "emergency_stop": "EMERGENCY STOP",
               "in_progress": "in progress (no end recorded)"}.get(report["outcome"], report["outcome"])
    facts = [("Room", report["room"]), ("Session", report["session_id"]), ("Date", day or "–"),
             ("Playlist", report["playlist"]), ("Started", _clock(report["started"], day)),
             ("Started by", report.get("started_by") or "–"),
             ("Ended", _clock(report["ended"], day) if report["ended"] else "–"),
             ("Duration", _dur(report["duration_s"])),
             ("Outcome", outcome), ("Volume cap", _db(volume["max_db"])),
             ("Start level", _db(volume["start_db"])), ("Playing level", _db(volume["default_db"])),
             ("Resume policy", report["resume_policy"] or "–"),
             ("Heard (exposure, dB re the loudness target)", exposure_text(report.get("exposure")) or "–")]
    title = f"Session report – {report['room'] or ''} – {day or report['session_id']}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>Session report: {_e(report['room'] or 'unknown room')}</h1><dl class=\"facts\">",
        "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts), "</dl></header>",
    ]
    if report["in_progress"]:
        parts.append('<p class="warn">No end of session is recorded: the session is still running, or the player '
                     f"stopped without finishing it. This report covers events up to {_e(_dur(report['duration_s']))}."
                     "</p>")
    if report["log_problems"]:
        parts.append(f'<p class="warn">{len(report["log_problems"])} damaged line(s) in the event log were skipped '
                     "(e.g. the last line cut short by a power cut); see the end of this report.</p>")

    parts += ["<section><h2>Timeline</h2>", _timeline(report), vitals_plot(report, timeline_span_s(report)),
              "</section>"]

    phase_rows = [[
        _td(p["name"]), _td(_dur(p["planned_start_s"]), True), _td(_dur(p["planned_end_s"]), True),
        _td(_dur(p["actual_start_s"]), True), _td(_clock(p["actual_start"], day), True),
        _td(_dur(p["actual_end_s"]) if p["actual_end_s"] is not None else ("now" if p["status"] == "current" else "–"),
            True),
        _td(_dur(p["duration_s"]), True), _td(_dur(p["paused_s"]) if p["paused_s"] else "–", True),
        _td(f"{p['extended_min']:g} min" if p["extended_min"] else "–", True),
        _td(p["ended_by"] or p["status"]),
    ] for p in report["phases"]]
    parts += ["<section><h2>Phases</h2>", _table(
        ("Phase", "Planned start", "Planned end", "Actual start", "Clock", "Actual end", "Time in phase", "Paused",
         "Extended", "Ended by"), phase_rows, "No phases recorded."), "</section>"]

    marker_rows = [[_td(n, True), _td(_clock(m["time"], day), True), _td(_dur(m["elapsed_s"]), True),
                    _td(m["phase"]), _td(m["text"]), _td(m["source"])] for n, m in enumerate(report["markers"], 1)]
    parts += ["<section><h2>Markers</h2>", _table(("#", "Clock", "Session time", "Phase", "Note", "From"),
                                                  marker_rows, "No markers."), "</section>"]
    parts.append(clinical_sections(report, day))
    parts.append(preferences_section(report))

    pause_rows = [[_td(_clock(p["start"], day), True), _td(_dur(p["start_s"]), True),
                   _td(_dur(p["end_s"]) if p["end_s"] is not None else "not resumed", True),
                   _td(_dur(p["length_s"]), True), _td(p["phase"]), _td(p["paused_by"]), _td(p["resumed_by"] or "–")]
                  for p in report["pauses"]]
    parts += ["<section><h2>Pauses</h2>", _table(("Clock", "Paused at", "Resumed at", "Length", "Phase", "Paused by",
                                                  "Resumed by"), pause_rows, "No pauses."), "</section>"]

    calmer_rows = [[_td(_clock(c["start"], day), True), _td(_dur(c["start_s"]), True),
                    _td(_dur(c["end_s"]) if c["end_s"] is not None else "–", True),
                    _td(f"{c['minutes']:g} min" if c["minutes"] is not None else "until switched back"),
                    _td(c["phase"]), _td(c["asked_by"]), _td(c["ended_by"] or "–")] for c in report.get("calmer", [])]
    parts += ["<section><h2>Calmer music</h2>", _table(("Clock", "From", "Until", "Asked for", "Phase", "Asked by",
                                                        "Ended by"), calmer_rows, "No calmer music."), "</section>"]

    action_rows = [[_td(_clock(a["time"], day), True), _td(_dur(a["elapsed_s"]), True), _td(a["source"]),
                    _td(a["detail"]), _td(a["phase"])] for a in report["staff_actions"]]
    parts += ["<section><h2>Staff actions</h2>", _table(("Clock", "Session time", "From", "Action", "Phase"),
                                                        action_rows, "No staff actions recorded."), "</section>"]

    tracks = report["tracks"]
    track_rows = [[_td(_clock(t["started"], day), True), _td(_dur(t["started_s"]), True), _td(t["phase"]),
                   _td(t["file"]), _td(_dur(t["played_s"]) if t["played_s"] is not None else "playing", True),
                   _td(t["status"] + (f": {t['reason']}" if t.get("reason") else ""))] for t in tracks]
    skipped = {i for i, t in enumerate(tracks) if t["status"] == "skipped"}
    parts += [f"<section><h2>Tracks ({len(tracks) - len(skipped)} played, {len(skipped)} skipped)</h2>",
              _table(("Clock", "Session time", "Phase", "File", "Played", "Status"), track_rows, "No tracks.", skipped),
              "</section>"]

    fault_rows = [[_td(_clock(f["time"], day), True), _td(_dur(f["elapsed_s"]), True), _td(f["message"]),
                   _td("not cleared" if f["cleared_s"] is None else _dur(f["cleared_s"] - f["elapsed_s"]) + " later")]
                  for f in report["faults"]]
    fault_rows += [[_td(_clock(r["time"], day), True), _td(_dur(r["elapsed_s"]), True),
                    _td(f"player restarted after {_dur(r['gap_s'])} down (resume policy {r['policy']})"), _td("–")]
                   for r in report["restarts"]]
    parts += ["<section><h2>Faults and restarts</h2>", _table(("Clock", "Session time", "What", "Cleared"),
                                                              fault_rows, "No faults."), "</section>"]

    volume_rows = [[_td(_clock(v["time"], day), True), _td(_dur(v["elapsed_s"]), True), _td(_db(v["from_db"]), True),
                    _td(_db(v["to_db"]), True), _td(v["source"])] for v in report["volume_changes"]]
    parts += [f"<section><h2>Volume changes (cap {_e(_db(volume['max_db']))})</h2>",
              _table(("Clock", "Session time", "From", "To", "By"), volume_rows, "No volume changes."), "</section>"]

    if report["log_problems"]:
        parts += ["<section><h2>Event log problems</h2><ul>",
                  "".join(f"<li>{_e(p)}</li>" for p in report["log_problems"]), "</ul></section>"]

    event_rows = [[_td(e.get("seq"), True), _td(_clock(e.get("time"), day), True),
                   _td(_dur(e["elapsed_s"]) if isinstance(e.get("elapsed_s"), (int, float)) else "?", True),
                   _td(e.get("type")), _td(e.get("source")), _td(describe(e))] for e in report["events"]]
    parts += [f"<details><summary>Full event log ({len(event_rows)} records)</summary>",
              _table(("#", "Clock", "Session time", "Event", "From", "What"), event_rows, "Empty log."), "</details>"]
    parts.append("<footer>Generated by session-player from the session's durable event log. Identifies the room "
                 "only, never the patient. This is a record of the music session; it is not a medical record and "
                 "the player is not a nurse-call system.</footer></body></html>\n")
    return "".join(parts)
