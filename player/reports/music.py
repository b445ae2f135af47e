"""A printable one-page "your session's music" list, for the patient's integration days after a session.

``session-player report ID --format music`` (and the web page's link): the tracks that
were heard, in the order they were first heard, each once, with the title and artist from
the files' tags (the file's name when a file has no tags or is gone). Deliberately nothing
else: no clinical data, no times of day, no room, no session id (it holds the date and the
room) and no playlist name (it may name the treatment), so the patient can take it home.

With the clinic's ``take_home:`` settings it gains an integration section (player/reports/take_home.py):
the rest of the day, journaling prompts, listening again and the follow-up line, all fixed
texts from the config, printable with the list on one A4 or Letter page.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from player.playlist.probe import track_tags

if TYPE_CHECKING:
    from player.config import TakeHomeConfig

_CSS = """
body{font:16px/1.5 Georgia,"Times New Roman",serif;color:#1b1f24;background:#fff;margin:0 auto;padding:28px 32px;
 max-width:720px}
h1{font-size:1.6em;font-weight:normal;margin:0 0 4px}p.intro{color:#555;margin:0 0 20px}
ol{padding-left:1.6em}li{margin:4px 0;break-inside:avoid}.artist{color:#555}
@media print{body{padding:0;font-size:12pt}@page{margin:18mm}}
"""
#: With the integration section the whole sheet must stay one A4 or Letter page (tests/reports/test_take_home_print.py).
_CSS_TAKE_HOME = """
@media print{body{font-size:10pt;line-height:1.3}@page{margin:12mm 14mm}h1{font-size:1.4em}p.intro{margin-bottom:6px}
 ol.long{columns:2;column-gap:8mm;margin:0}ol.long li{margin:0 0 2px}}
"""


def heard_files(report: dict) -> list[str]:
    """The files of the ``track_started`` records, each once, in the order first heard (pure)."""
    seen: dict[str, None] = {}
    for rec in report.get("events", []):
        if not isinstance(rec, dict) or rec.get("type") != "track_started" or not isinstance(rec.get("details"), dict):
            continue
        file = rec["details"].get("file")
        if isinstance(file, str) and file:
            seen.setdefault(file, None)
    return list(seen)


def music_rows(report: dict) -> list[dict]:
    """``[{"title", "artist"}]`` for each track heard, from its tags (read beside the session's playlist)."""
    path = report.get("playlist_path")
    base = Path(path).parent if isinstance(path, str) and path else None
    rows = []
    for file in heard_files(report):
        title, artist = track_tags(base / file) if base is not None else (None, None)
        rows.append({"title": title or Path(file).stem, "artist": artist})
    return rows


def render_music(rows: list[dict], take_home: TakeHomeConfig | None = None) -> str:
    """The page (self-contained, no script, every text escaped); with `take_home`, its integration section."""
    from player.reports.take_home import integration_css, integration_html

    extra = integration_html(take_home) if take_home is not None else ""
    css = _CSS + (_CSS_TAKE_HOME + integration_css() if extra else "")
    long = ' class="long"' if extra and len(rows) > 12 else ""
    items = "\n".join(f"<li>{escape(r['title'])}" + (f' <span class="artist">— {escape(r["artist"])}</span>'
                                                     if r.get("artist") else "") + "</li>" for r in rows)
    body = f"<ol{long}>\n{items}\n</ol>" if rows else "<p>No music was recorded for this session.</p>"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Your session's music</title><style>{css}</style></head><body>\n"
            "<h1>Your session's music</h1>\n<p class=\"intro\">The music you heard, in the order it first played.</p>\n"
            f"{body}\n{extra}</body></html>\n")
