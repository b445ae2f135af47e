"""The report's checkpoints and observations: read from the records, pure (used by report.py).

`ClinicalRecords` is mixed into the report's walk (player/reports/report.py): it keeps every
planned checkpoint (from ``session_started``) with what happened to it (due, done at, by whom,
or missed), and every observation grouped by kind. `clinical_csv_rows` gives their CSV rows.
"""

from __future__ import annotations

import math


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


class ClinicalRecords:
    """The ``_on_*`` handlers for checkpoint and observation records; `self.report` is the report dict."""

    report: dict

    def _checkpoint(self, d: dict) -> dict:
        rows = self.report["checkpoints"]
        index = d.get("index")
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rows):
            return rows[index]
        row = {"at_s": _num(d.get("at_s")), "text": str(d.get("text") or ""), "state": "upcoming",
               "due_s": None, "done_at_s": None, "done_at": None, "by": None, "observation": None}
        rows.append(row)
        return row

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
                     "unit": d.get("unit") or "", "systolic": _num(d.get("systolic")),
                     "diastolic": _num(d.get("diastolic")), "note": d.get("note"), "source": source})


def clinical_csv_rows(report: dict) -> list[list[object]]:
    """CSV rows (report.CSV_COLUMNS) for each checkpoint and each observation."""
    rows: list[list[object]] = []
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
    return rows
