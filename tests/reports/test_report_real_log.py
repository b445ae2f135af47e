"""Every report format on a log the REAL engine wrote (tests/support/engine_log.py).

The hand-written logs in records_factory.py are the golden fixtures of log version 1; this
file checks that what the engine writes today still reads as the clinical record: the
track list, pause lengths, markers, skips, the restart and the phase times, in JSON, CSV
and HTML. A renamed event or field (``track_started.file``, ``resumed.paused_s``) fails
`test_the_log_speaks_the_vocabulary_the_report_reads` and the report checks below it.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from player.reports.report import build_report, render_report
from tests.support.engine_log import (
    BROKEN,
    EXTEND_MIN,
    MARKS,
    PAUSE_S,
    PLAYLIST_NAME,
    RESTART_GAP_S,
    ROOM,
    RecordedSession,
    Recorder,
    record_scripted_session,
)

#: The fields of each record type that the reports read. Adding fields is fine; renaming or
#: dropping one of these loses part of the clinical record, so it must fail here first.
REPORT_READS = {
    "session_started": {"playlist", "playlist_path", "room", "max_db", "start_db", "default_db", "resume_policy",
                        "phases"},
    "phase_started": {"phase", "index", "planned_end_s"},
    "phase_ended": {"phase", "index"},
    "phase_extended": {"phase", "minutes", "planned_end_s"},
    "phase_advanced": {"from", "to"},
    "paused": set(),
    "resumed": {"paused_s"},
    "marked": {"text"},
    "track_started": {"phase", "file"},
    "track_ended": {"file"},
    "track_skipped": {"file", "reason"},
    "fault": {"message"},
    "daemon_restarted": {"gap_s", "policy"},
    "session_ended": {"reason"},
    "state_changed": {"from", "to"},
}
RECORD_KEYS = {"seq", "time", "elapsed_s", "type", "source", "details", "session_id"}

# What the script makes happen, in session time (see tests/support/engine_log.py).
SETTLING_END_S = 180.0 + PAUSE_S + EXTEND_MIN * 60  # 345 s: planned 3 min, paused 45 s, extended 2 min
ADVANCED_AT_S = 455.0
STOPPED_AT_S = 485.0
RESTART_AT_S = 435.0


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> RecordedSession:
    return record_scripted_session(tmp_path_factory.mktemp("real-log"))


@pytest.fixture(scope="module")
def report(recorded: RecordedSession) -> dict:
    return build_report(recorded.data_dir, recorded.session_id)


def test_the_log_speaks_the_vocabulary_the_report_reads(recorded: RecordedSession) -> None:
    types = {r["type"] for r in recorded.records}
    assert types >= set(REPORT_READS) - {"fault"}, f"the script no longer produces {set(REPORT_READS) - types}"
    for record in recorded.records:
        assert set(record) == RECORD_KEYS, record
        wanted = REPORT_READS.get(record["type"])
        if wanted is not None:
            missing = wanted - set(record["details"])
            assert not missing, f"{record['type']} lost {missing}: {record}"
    assert [r["seq"] for r in recorded.records] == list(range(1, len(recorded.records) + 1))


def test_every_record_names_its_session(recorded: RecordedSession) -> None:
    assert [r["type"] for r in recorded.records if r["session_id"] != recorded.session_id] == []


def test_summary_facts(report: dict) -> None:
    assert (report["room"], report["playlist"], report["outcome"], report["in_progress"]) == (
        ROOM, PLAYLIST_NAME, "stopped", False)
    assert report["resume_policy"] == "continue"
    assert report["volume"] == {"max_db": -6.0, "start_db": -20.0, "default_db": -12.0}
    assert report["duration_s"] == STOPPED_AT_S
    assert report["log_problems"] == []


def test_phase_times_planned_and_actual(report: dict) -> None:
    rows = [(p["name"], p["planned_start_s"], p["planned_end_s"], p["actual_start_s"], p["actual_end_s"],
             p["paused_s"], p["extended_min"], p["ended_by"]) for p in report["phases"]]
    assert rows == [
        ("settling", 0.0, 180.0, 0.0, SETTLING_END_S, PAUSE_S, EXTEND_MIN, "clock"),
        ("peak", 180.0, 420.0, SETTLING_END_S, ADVANCED_AT_S, 0.0, 0.0, "advanced (cli)"),
        ("recovery", 420.0, 600.0, ADVANCED_AT_S, STOPPED_AT_S, 0.0, 0.0, "stopped"),
    ]
    assert report["phases"][0]["adjusted_end_s"] == SETTLING_END_S


def test_pause_length_is_the_engines(recorded: RecordedSession, report: dict) -> None:
    resumed = [r for r in recorded.records if r["type"] == "resumed"]
    assert [r["details"]["paused_s"] for r in resumed] == [PAUSE_S]
    assert [(p["phase"], p["start_s"], p["end_s"], p["length_s"], p["paused_by"], p["resumed_by"])
            for p in report["pauses"]] == [("settling", 60.0, 105.0, PAUSE_S, "web", "web")]


def test_two_pauses_in_one_phase_both_count(tmp_path) -> None:
    """Paused 10 s, then 20 s, in the same phase: the phase was paused 30 s, not its last pause's 20 s."""
    rec = Recorder(tmp_path)
    try:
        session_id = rec.submit("start", "cli", playlist=str(rec.playlist))["session_id"]
        for at_s, length_s in ((30.0, 10.0), (70.0, 20.0)):
            rec.run(at_s - rec.elapsed())
            rec.submit("pause", "web")
            rec.run(length_s)
            rec.submit("resume", "button")
        rec.run(10.0)
        rec.submit("stop", "cli")
        rec.run(5.0)
    finally:
        rec.close()
    report = build_report(rec.config.data_dir, session_id)
    assert [(p["phase"], p["start_s"], p["length_s"]) for p in report["pauses"]] == [
        ("settling", 30.0, 10.0), ("settling", 70.0, 20.0)]
    settling = report["phases"][0]
    assert settling["paused_s"] == 30.0
    row = next(r for r in csv.DictReader(io.StringIO(render_report(report, "csv"))) if r["kind"] == "phase")
    assert "paused 0:30;" in row["detail"], row["detail"]


def test_markers_with_their_phase_and_source(report: dict) -> None:
    assert [(m["elapsed_s"], m["phase"], m["source"], m["text"]) for m in report["markers"]] == [
        (40.0, "settling", *MARKS[0]), (140.0, "settling", *MARKS[1]), (ADVANCED_AT_S, "peak", *MARKS[2])]


def test_staff_actions_in_order(report: dict) -> None:
    assert [(a["source"], a["action"]) for a in report["staff_actions"]] == [
        ("cli", "session_started"), ("button", "marked"), ("web", "paused"), ("web", "resumed"),
        ("button", "track_skipped"), ("cli", "phase_extended"), ("web", "marked"), ("cli", "marked"),
        ("cli", "phase_advanced"), ("cli", "session_ended")]


def test_track_list_names_every_file_and_how_it_ended(report: dict) -> None:
    tracks = report["tracks"]
    assert tracks and all(t["file"] for t in tracks), "a track without a file name"
    first_seen = list(dict.fromkeys(t["file"] for t in tracks))
    assert first_seen[:4] == ["settle/a1.flac", "settle/a2.flac", "settle/a3.flac", "peak/b1.flac"]
    assert "recover/c1.flac" in first_seen
    assert {"phase": "settling", "file": "settle/a2.flac", "status": "skipped", "reason": "staff: next track"}.items() \
        <= next(t for t in tracks if t["status"] == "skipped").items()
    broken = [t for t in tracks if t["file"] == BROKEN]
    assert broken and all(t["status"] == "skipped" and t["reason"] for t in broken)
    assert {t["status"] for t in tracks} <= {"played", "skipped", "interrupted", "stopped"}
    assert tracks[-1]["file"] == "recover/c1.flac" and tracks[-1]["status"] == "stopped"
    assert [t["phase"] for t in tracks if t["file"] == "recover/c1.flac"] == ["recovery"]


def test_restart_is_recorded_with_its_gap(report: dict) -> None:
    assert [(r["elapsed_s"], r["phase"], r["gap_s"], r["policy"]) for r in report["restarts"]] == [
        (RESTART_AT_S, "peak", RESTART_GAP_S, "continue")]
    b1 = [t for t in report["tracks"] if t["file"] == "peak/b1.flac"]
    assert SETTLING_END_S <= b1[0]["started_s"] < SETTLING_END_S + 5
    assert (b1[0]["ended_s"], b1[0]["status"]) == (RESTART_AT_S, "interrupted")


def test_a_broken_file_is_skipped_to_the_next_track(report: dict) -> None:
    files = [t["file"] for t in report["tracks"]]
    assert "peak/b3.flac" in files
    assert [t for t in report["tracks"] if t["file"] == BROKEN][0]["reason"] and \
        len([t for t in report["tracks"] if t["file"] == BROKEN]) <= 2  # once per pass through the phase


def test_a_resumed_track_is_one_track(report: dict) -> None:
    a1 = [t for t in report["tracks"] if t["file"] == "settle/a1.flac" and t["started_s"] < 120]
    assert len(a1) == 1 and a1[0]["status"] == "played"


# --- the renderings -----------------------------------------------------------------

def test_json_is_the_report(report: dict) -> None:
    assert json.loads(render_report(report, "json")) == json.loads(json.dumps(report))


def test_csv_rows(recorded: RecordedSession, report: dict) -> None:
    rows = list(csv.DictReader(io.StringIO(render_report(report, "csv"))))
    phases = [(r["phase"], r["actual_start_s"], r["actual_end_s"]) for r in rows if r["kind"] == "phase"]
    assert phases == [("settling", "0.000", "345.000"), ("peak", "345.000", "455.000"),
                      ("recovery", "455.000", "485.000")]
    pauses = [(r["phase"], r["actual_start_s"], r["actual_end_s"], r["duration_s"], r["source"])
              for r in rows if r["kind"] == "pause"]
    assert pauses == [("settling", "60.000", "105.000", "45.000", "web")]
    events = [r for r in rows if r["kind"] not in ("session", "phase", "pause")]
    assert len(events) == len(recorded.records)
    started = [r["detail"] for r in events if r["kind"] == "track_started"]
    assert started and all(d.removeprefix("playing ") for d in started), "a track_started row without a file"
    assert {"playing settle/a1.flac", "playing peak/b1.flac", "playing recover/c1.flac"} <= set(started)
    assert [r["detail"] for r in events if r["kind"] == "marked"] == [f"marker: {text}" for _, text in MARKS]
    assert [r["detail"] for r in events if r["kind"] == "resumed"] == ["resumed after 0:45 paused"]
    assert [r["detail"] for r in events if r["kind"] == "daemon_restarted"] == [
        "player restarted after 0:30 down (resume policy continue)"]
    assert "skipped settle/a2.flac: staff: next track" in [r["detail"] for r in events]


class _Tables(HTMLParser):
    """Each <h2> section's table rows, as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, list[list[str]]] = {}
        self._section = ""
        self._in: str | None = None
        self._text = ""
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("h2", "td"):
            self._in, self._text = tag, ""
        elif tag == "tr":
            self._row = []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._in == "h2":
            self._section = self._text.split(" (")[0]
            self.sections.setdefault(self._section, [])
        elif tag == "td" and self._row is not None:
            self._row.append(self._text.strip())
        elif tag == "tr" and self._row:
            self.sections.setdefault(self._section, []).append(self._row)
            self._row = None
        if tag == self._in:
            self._in = None


def test_html_tables(report: dict) -> None:
    page = _Tables()
    page.feed(render_report(report, "html"))
    s = page.sections
    assert [(r[0], r[3], r[5], r[7], r[8], r[9]) for r in s["Phases"]] == [
        ("settling", "0:00", "5:45", "0:45", "2 min", "clock"),
        ("peak", "5:45", "7:35", "–", "–", "advanced (cli)"),
        ("recovery", "7:35", "8:05", "–", "–", "stopped")]
    assert [r[1:] for r in s["Pauses"]] == [["1:00", "1:45", "0:45", "settling", "web", "web"]]
    assert [r[3:] for r in s["Markers"]] == [["settling", MARKS[0][1], "button"], ["settling", MARKS[1][1], "web"],
                                             ["peak", MARKS[2][1], "cli"]]
    files = [r[3] for r in s["Tracks"]]
    assert files and all(files) and "settle/a2.flac" in files and BROKEN in files
    assert "skipped: staff: next track" in [r[5] for r in s["Tracks"]]
    assert ["7:15", "player restarted after 0:30 down (resume policy continue)", "–"] in [
        r[1:] for r in s["Faults and restarts"]]
