"""The patient's music preferences in the report: on a log the REAL engine wrote, and on odd logs."""

from __future__ import annotations

import pytest

from player.reports.report import build_report, render_report, summarize
from tests.support.engine_log import Recorder


def test_preferences_asked_at_start_are_in_every_format_and_quieter_plays_lower(tmp_path) -> None:
    rec = Recorder(tmp_path)
    default = min(rec.config.volume.default_db, rec.config.volume.max_db)
    try:
        started = rec.submit("start", "cli", playlist=str(rec.playlist),
                             preferences={"avoid": ["Choir", "religious"], "loudness": "quieter"})
        assert started["volume_db"] == pytest.approx(default - 6.0)     # the level it rises to: 6 dB lower
        rec.run(60.0)
        now = rec.player.engine.status()
        assert now["volume_now_db"] <= default - 6.0 + 1e-6 and now["volume_now_db"] <= rec.config.volume.max_db
        rec.submit("stop", "web")
        rec.run(5.0)
    finally:
        rec.close()
    report = build_report(rec.config.data_dir, started["session_id"])
    assert report["music_preferences"] == {"avoid": ["choir", "religious"], "loudness": "quieter",
                                           "level_db": default - 6.0}
    html = render_report(report, "html")
    assert "<h2>Music preferences (asked before Start)</h2>" in html
    assert f"Avoid: choir, religious. Loudness: quieter (rose to {default - 6.0:g} dB instead" in html
    csv = render_report(report, "csv")
    assert f"music preferences: avoid choir, religious; quieter (plays at {default - 6.0:g} dB)" in csv
    assert '"avoid": [\n      "choir",' in render_report(report, "json")


def _log(*details: dict) -> list[dict]:
    start = {"seq": 1, "elapsed_s": 0.0, "time": "2026-12-07T10:00:00+00:00", "type": "session_started",
             "source": "web", "details": {"playlist": "P", "room": "R", "phases": []}}
    return [start] + [{"seq": i + 2, "elapsed_s": 0.0, "time": "2026-12-07T10:00:00+00:00",
                       "type": "music_preferences", "source": "web", "details": d} for i, d in enumerate(details)]


def test_no_preferences_say_so() -> None:
    report = summarize("s", _log())
    assert report["music_preferences"] is None
    assert "No music preferences were recorded." in render_report(report, "html")


def test_the_first_record_counts_and_odd_values_from_a_damaged_log_are_dropped() -> None:
    report = summarize("s", _log({"avoid": "choir", "loudness": "LOUD", "level_db": "x"},
                                 {"avoid": ["piano"], "loudness": "quieter"}))
    assert report["music_preferences"] == {"avoid": [], "loudness": "as_planned", "level_db": None}
    html = render_report(report, "html")
    assert "Avoid: nothing. Loudness: as planned." in html


def test_what_was_asked_is_escaped_in_the_page() -> None:
    report = summarize("s", _log({"avoid": ["<script>x</script>"], "loudness": "quieter"}))
    html = render_report(report, "html")
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "Loudness: quieter." in html
