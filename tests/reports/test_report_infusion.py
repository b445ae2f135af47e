"""The infusion on a log the REAL engine wrote (fake clock): records, anchored checkpoints, the
recovery phase held until infusion_end + margin, a restart in between, and every report format.

The script: infusion started from the page at 30 s; BP and HR every minute from 1 min after
it until its end; the player restarts at 100 s (down 10 s, anchors kept); the end from the CLI
at 330 s; recovery (planned 420-600 s) lasts until 330 + 5 min = 630 s; the discharge check
4 min after the end (570 s).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from player.reports.report import build_report, render_report
from tests.support.engine_log import RecordedSession, Recorder

PLAYLIST = """name: Infusion
crossfade: 4s
phases:
  - name: settling
    duration: 3m
    fade_in: 5s
    tracks: [settle/a1.flac, settle/a2.flac, settle/a3.flac]
  - name: peak
    duration: 4m
    tracks: [peak/b1.flac, peak/b3.flac]
  - name: recovery
    duration: 3m
    until: infusion_end + 5m
    tracks: [recover/c1.flac]
checkpoints:
  - {at: 1m, after: infusion_start, text: BP and HR, repeat: 1m, until: infusion_end}
  - {at: 4m, after: infusion_end, text: discharge check}
"""


def _record(tmp_path) -> RecordedSession:
    rec = Recorder(tmp_path)
    playlist = rec.playlist.parent / "infusion.yaml"
    playlist.write_text(PLAYLIST, encoding="utf-8")
    try:
        session_id = rec.submit("start", "cli", playlist=str(playlist))["session_id"]
        rec.run(30.0)
        rec.submit("infusion", "web", event="start")           # 30 s
        rec.run(70.0)                                          # BP and HR due at 90 s
        rec.restart(10.0)                                      # 100 s: down 10 s, the anchor kept
        rec.run(20.0)                                          # 130 s
        rec.submit("ack", "web")                               # the 90 s one, late
        rec.run(200.0)                                         # 330 s
        status = rec.submit("infusion", "cli", event="end")
        assert status["infusion"]["state"] == "ended"
        rec.run(310.0)                                         # 640 s: recovery held to 630 s, then ended
    finally:
        rec.close()
    return rec.recorded(session_id)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> RecordedSession:
    return _record(tmp_path_factory.mktemp("infusion-log"))


@pytest.fixture(scope="module")
def report(recorded: RecordedSession) -> dict:
    return build_report(recorded.data_dir, recorded.session_id)


def _of(recorded: RecordedSession, type_: str) -> list[dict]:
    return [r for r in recorded.records if r["type"] == type_]


def test_the_engine_records_the_infusion_with_its_source(recorded: RecordedSession) -> None:
    (start,) = _of(recorded, "infusion_started")
    (end,) = _of(recorded, "infusion_ended")
    assert (start["source"], start["elapsed_s"]) == ("web", pytest.approx(30.0, abs=0.3))
    assert (end["source"], end["elapsed_s"]) == ("cli", pytest.approx(330.0, abs=0.3))
    assert end["details"]["duration_s"] == pytest.approx(300.0, abs=0.3)


def test_anchored_checkpoints_came_due_from_the_infusion_across_the_restart(recorded: RecordedSession) -> None:
    due = [(r["details"]["text"], round(r["elapsed_s"])) for r in _of(recorded, "checkpoint_due")]
    assert due == [("BP and HR", 90), ("BP and HR", 150), ("BP and HR", 210), ("BP and HR", 270),
                   ("BP and HR", 330), ("discharge check", 570)]   # none after the end; nothing before the start
    assert _of(recorded, "daemon_restarted")


def test_the_recovery_phase_lasted_until_the_margin_after_the_end(recorded: RecordedSession) -> None:
    (ext,) = [r for r in _of(recorded, "phase_extended") if r["source"] == "system"]
    assert ext["details"]["phase"] == "recovery" and ext["details"]["reason"] == "until infusion end + 5:00"
    assert ext["details"]["planned_end_s"] == pytest.approx(630.0, abs=0.3)
    (ended,) = _of(recorded, "session_ended")
    assert ended["details"]["reason"] == "completed" and ended["elapsed_s"] == pytest.approx(630.0, abs=0.3)


def test_the_report_has_the_infusion_and_the_anchored_checkpoints(report: dict) -> None:
    inf = report["infusion"]
    assert (inf["start_source"], inf["end_source"]) == ("web", "cli")
    assert inf["started_s"] == pytest.approx(30.0, abs=0.3) and inf["duration_s"] == pytest.approx(300.0, abs=0.3)
    rows = [(c["text"], None if c["at_s"] is None else round(c["at_s"]), c["state"], c["after"])
            for c in report["checkpoints"]]
    assert rows == [("BP and HR", 90, "done", "infusion_start"), ("BP and HR", 150, "missed", "infusion_start"),
                    ("BP and HR", 210, "missed", "infusion_start"), ("BP and HR", 270, "missed", "infusion_start"),
                    ("BP and HR", 330, "missed", "infusion_start"), ("discharge check", 570, "due", "infusion_end")]
    assert any(a["action"] == "infusion_started" and a["source"] == "web" for a in report["staff_actions"])
    # the discharge check stays due: the session ended before its grace ran out


def test_every_format_shows_the_infusion(recorded: RecordedSession, report: dict) -> None:
    html = render_report(report, "html")
    assert 'id="infusion"' in html and "infusion 0:30–5:30" in html
    assert "after infusion" not in html                        # every anchored one that stayed came due
    rows = list(csv.reader(io.StringIO(render_report(report, "csv"))))
    (inf,) = [r for r in rows if r[0] == "infusion"]
    assert inf[9] == "web" and inf[10] == "started by web, ended by cli"
    assert [r[10] for r in rows if r[0] == "infusion_ended"] == ["infusion ended after 5:00"]
    assert json.loads(render_report(report, "json"))["infusion"]["end_source"] == "cli"


def test_the_recovery_course_counts_from_the_recorded_infusion_end(report: dict) -> None:
    """player/reports/recovery.py reads the engine's own infusion_ended record (not a hand-written one)."""
    assert report["recovery"]["from"] == "infusion end"
    assert report["recovery"]["start_s"] == pytest.approx(330.0, abs=0.3)
