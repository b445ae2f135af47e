"""The patient's music preferences in a session's report (the ``music_preferences`` record). Pure.

The report keeps what was asked before Start (``report["music_preferences"]``: ``{"avoid",
"loudness", "level_db"}``, None when nothing was asked) and shows it in its own section, so
whoever reads the report later (and h27-style music feedback) sees what the patient wanted to
avoid and whether the session played quieter for it.
"""

from __future__ import annotations

from player.numbers import finite
from player.reports.cells import _e


def music_preferences_of(details: dict) -> dict:
    """The record's details as the report keeps them (odd values from a damaged log become empty)."""
    avoid = details.get("avoid")
    return {"avoid": [str(a) for a in avoid] if isinstance(avoid, list) else [],
            "loudness": "quieter" if details.get("loudness") == "quieter" else "as_planned",
            "level_db": finite(details.get("level_db"))}


def keep_music_preferences(report: dict, details: dict) -> None:
    """The report's walk meets a ``music_preferences`` record: the first one is the one asked at Start."""
    if report.get("music_preferences") is None:
        report["music_preferences"] = music_preferences_of(details)


def preferences_section(report: dict) -> str:
    """The HTML section: what to avoid and the loudness, or that nothing was asked."""
    prefs = report.get("music_preferences")
    parts = ["<section><h2>Music preferences (asked before Start)</h2>"]
    if not prefs:
        parts.append('<p class="none">No music preferences were recorded.</p>')
    else:
        avoid = ", ".join(prefs["avoid"]) or "nothing"
        loud = "as planned"
        if prefs["loudness"] == "quieter":
            level = prefs["level_db"]
            loud = "quieter" + (f" (rose to {level:g} dB instead of the planned level)" if level is not None else "")
        parts.append(f"<p>Avoid: {_e(avoid)}. Loudness: {_e(loud)}.</p>")
    parts.append("</section>")
    return "".join(parts)
