"""The report's infusion: when it started and ended, by whom, on the timeline. Pure (used by report.py).

`InfusionRecords` is mixed into the report's walk (player/reports/report.py) like the
checkpoints (player/reports/clinical.py): ``infusion_started`` and ``infusion_ended`` fill
``report["infusion"]`` (``{"started_s", "started", "start_source", "ended_s", "ended",
"end_source", "duration_s"}``, None when neither was recorded); `infusion_row` draws it as a
bar under the phases, open at the right while it still runs.
"""

from __future__ import annotations

from collections.abc import Callable

from player.numbers import finite
from player.reports.cells import _dur, _e

EMPTY = {"started_s": None, "started": None, "start_source": None, "ended_s": None, "ended": None,
         "end_source": None, "duration_s": None}


class InfusionRecords:
    """The ``_on_*`` handlers for the infusion's records; `self.report` is the report dict."""

    report: dict

    def _infusion(self) -> dict:
        if self.report.get("infusion") is None:
            self.report["infusion"] = dict(EMPTY)
        return self.report["infusion"]

    def _on_infusion_started(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self._infusion().update(started_s=elapsed, started=time, start_source=source)

    def _on_infusion_ended(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        row = self._infusion()
        row.update(ended_s=elapsed, ended=time, end_source=source, duration_s=finite(d.get("duration_s")))

    def _drop_repeats_ended_by_the_infusion(self) -> None:
        """Repeats ``until: infusion_end`` that never came due because the infusion ended: not "not reached"."""
        inf = self.report.get("infusion") or {}
        if inf.get("ended_s") is None:
            return
        self.report["checkpoints"] = [row for row in self.report["checkpoints"]
                                      if not (row.get("until") == "infusion_end" and row.get("due_s") is None
                                              and row.get("state") in ("upcoming", "not reached"))]


def infusion_row(report: dict, total_s: float, span: Callable[[float, float, float], str]) -> str:
    """The timeline's Infusion row (empty when no infusion was recorded); `span` places a bar (html_page)."""
    inf = report.get("infusion")
    if not inf or inf.get("started_s") is None:
        return ""
    start, end = inf["started_s"], inf.get("ended_s")
    is_open = end is None
    stop = report["duration_s"] if is_open else end
    title = f"infusion {_dur(start)}–{'not recorded as ended' if is_open else _dur(end)}"
    return (f'<div class="tlrow"><span class="lbl">Infusion</span><div class="bar" id="infusion">'
            f'<div class="seg{" open" if is_open else ""}" data-kind="infusion" '
            f'style="{span(start, max(start, stop), total_s)};background:#b8d8f0" title="{_e(title)}">'
            f'{_e("infusion" if not is_open else "infusion (end not recorded)")}</div></div></div>')


def infusion_csv_rows(report: dict) -> list[list[object]]:
    """The CSV row (report.CSV_COLUMNS) of the infusion, none when it was not recorded."""
    inf = report.get("infusion")
    if not inf or inf.get("started_s") is None:
        return []
    by = f"started by {inf['start_source']}" + (f", ended by {inf['end_source']}" if inf.get("end_source") else
                                                "; end not recorded")
    return [["infusion", None, inf["started"], inf["started_s"], None, None, inf["started_s"], inf["ended_s"],
             inf["duration_s"], inf["start_source"], by]]
