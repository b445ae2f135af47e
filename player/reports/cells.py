"""The report page's cells, shared by the main report (html_page.py) and its clinical
sections (clinical_html.py): one module both import, so neither imports the other.

Every value is escaped here (`_e`); `_table` takes cells that are already escaped.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from player.durations import format_duration

__all__ = ["_clock", "_dur", "_e", "_pct", "_table", "_td"]


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _clock(iso: object, day: str | None = None) -> str:
    """``HH:MM:SS`` of an ISO time; the date too when it is not `day`."""
    if not isinstance(iso, str) or not iso:
        return "–"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    text = moment.strftime("%H:%M:%S")
    return text if moment.date().isoformat() == day else f"{moment.date().isoformat()} {text}"


def _dur(seconds: float | None) -> str:
    return "–" if seconds is None else format_duration(seconds)


def _pct(seconds: float, total_s: float) -> float:
    return max(0.0, min(100.0, 100.0 * seconds / total_s))


def _table(headers: tuple[str, ...], rows: list[list[str]], empty: str, bad_rows: set[int] = frozenset()) -> str:
    """A table from cells that are ALREADY escaped HTML."""
    if not rows:
        return f'<p class="none">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        f'<tr{" class=bad" if i in bad_rows else ""}>{"".join(cells)}</tr>' for i, cells in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value: object, num: bool = False) -> str:
    return f'<td class="num">{_e(value)}</td>' if num else f"<td>{_e(value)}</td>"
