"""The report's checkpoints and observations: read from the records, pure (used by report.py).

`ClinicalRecords` is mixed into the report's walk (player/reports/report.py): it keeps the
pre-session checklist as answered at Start, every planned checkpoint (from ``session_started``)
with what happened to it (due, done at, by whom, missed, or "not reached" when the session ended
first), and every observation grouped by kind. `clinical_csv_rows` gives their CSV rows (and the
recovery symptoms' course, player/reports/recovery.py).
"""

from __future__ import annotations

from player.numbers import finite
from player.reports.recovery import course_text, outcome_text

NOT_REACHED = "not reached"


class ClinicalRecords:
    """The ``_on_*`` handlers for checkpoint and observation records; `self.report` is the report dict."""

    report: dict

    def _checkpoint(self, d: dict) -> dict:
        rows = self.report["checkpoints"]
        index = d.get("index")
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rows):
            return rows[index]
        row = {"at_s": finite(d.get("at_s")), "text": str(d.get("text") or ""), "state": "upcoming",
               "due_s": None, "done_at_s": None, "done_at": None, "by": None, "observation": None}
        rows.append(row)
        return row

    def _plan_checklist(self, answers: object) -> None:
        """The checklist as staff answered it at Start: every item, ticked or not."""
        self.report["checklist"] = [{"item": str(a.get("item") or ""), "checked": a.get("checked") is True}
                                    for a in (answers if isinstance(answers, list) else []) if isinstance(a, dict)]

    def _close_checkpoints(self) -> None:
        """The session ended: a checkpoint it never reached is "not reached", not "upcoming"."""
        for row in self.report["checkpoints"]:
            if row["state"] == "upcoming":
                row["state"] = NOT_REACHED

    def _plan_checkpoints(self, planned: object) -> None:
        for cp in planned if isinstance(planned, list) else []:
            if isinstance(cp, dict):
                self._checkpoint({"at_s": cp.get("at_s"), "text": cp.get("text")})

    def _on_checkpoint_due(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        row = self._checkpoint(d)
        row["due_s"] = elapsed
        if row["state"] == "upcoming":
            row["state"] = "due"

    def _on_checkpoint_acknowledged(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        row = self._checkpoint(d)
        row.update(state="done", done_at_s=elapsed, done_at=time, by=source, observation=d.get("observation"))

    def _on_checkpoint_missed(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        row = self._checkpoint(d)
        if row["state"] != "done":
            row["state"] = "missed"

    def _on_observation(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        kind = str(d.get("kind") or "?")
        rows = self.report["observations"].setdefault(kind, [])
        rows.append({**when, "phase": phase, "label": d.get("label") or kind, "value": d.get("value"),
                     "unit": d.get("unit") or "", "systolic": finite(d.get("systolic")),
                     "diastolic": finite(d.get("diastolic")), "note": d.get("note"), "source": source,
                     "none": finite(d.get("none"))})   # the scale's no-symptom value (player/reports/recovery.py)


def clinical_csv_rows(report: dict) -> list[list[object]]:
    """CSV rows (report.CSV_COLUMNS) for each checklist item, each checkpoint, each observation and
    each recovery symptom's course."""
    rows: list[list[object]] = [["checklist", None, report.get("started"), 0.0, None, None, None, None, None,
                                 report.get("started_by"),
                                 f"{a['item']}: {'checked' if a['checked'] else 'NOT checked'}"]
                                for a in report.get("checklist", [])]
    for cp in report.get("checkpoints", []):
        by = f"; by {cp['by']}" + (f" ({cp['observation']} observation)" if cp["observation"] else "") \
            if cp["by"] else ""
        rows.append(["checkpoint", None, cp["done_at"], cp["done_at_s"], cp["at_s"], None, cp["due_s"], None, None,
                     cp["by"], f"{cp['text']}: {cp['state']}{by}"])
    for kind, items in report.get("observations", {}).items():
        for o in items:
            value = f"{o['value']} {o['unit']}".strip()
            rows.append([f"observation:{kind}", o["phase"], o["time"], o["elapsed_s"], None, None, None, None, None,
                         o["source"], value + (f" ({o['note']})" if o["note"] else "")])
    recovery = report.get("recovery") or {}
    for sym in (s for s in recovery.get("symptoms", []) if s["values"]):   # a symptom never rated: no row
        counted = f"; from {recovery['from']}" if recovery.get("from") else ""
        rows.append([f"recovery:{sym['kind']}", None, None, recovery.get("start_s"), None, None, None, None, None,
                     None, f"{sym['label']}: {course_text(sym)}; {outcome_text(sym)}{counted}"])
    return rows
