"""Reports from real event logs on disk: summary, JSON/CSV/HTML rendering, listing, bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.errors import PlayerError, SessionNotFound
from player.reports.html_page import timeline_span_s
from player.reports.report import (
    CSV_COLUMNS,
    build_report,
    list_sessions,
    render_report,
    summarize,
)
from player.session.eventlog import check_session_id, session_log_path
from tests.support.records_factory import (
    MARKER_TEXT,
    PLAN,
    SESSION_ID,
    SessionLogBuilder,
    realistic_session,
)

#: Every event type the engine writes (the contract); the factory must cover them all.
EVENT_TYPES = {
    "session_started", "phase_started", "phase_ended", "track_started", "track_ended", "track_skipped", "paused",
    "resumed", "phase_extended", "phase_advanced", "marked", "volume_changed", "fault", "fault_cleared",
    "daemon_restarted", "session_ended", "state_changed", "calmer_started", "calmer_ended",
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    realistic_session().write(tmp_path)
    return tmp_path


def test_factory_covers_every_event_type() -> None:
    assert {r["type"] for r in realistic_session().records} == EVENT_TYPES


def test_report_planned_vs_actual_phases(data_dir: Path) -> None:
    report = build_report(data_dir, SESSION_ID)
    assert (report["room"], report["playlist"], report["outcome"], report["in_progress"]) == (
        "Room 3", "Ketamine 40 min", "completed", False)
    assert report["volume"] == {"max_db": -6.0, "start_db": -20.0, "default_db": -12.0}
    assert report["started"] == "2026-01-01T09:00:00+01:00"
    assert report["ended"] == "2026-01-01T10:10:42+01:00"  # wall time includes the 42 s outage
    assert report["duration_s"] == 4200.0
    rows = [(p["name"], p["planned_start_s"], p["planned_end_s"], p["actual_start_s"], p["actual_end_s"],
             p["duration_s"], p["paused_s"], p["extended_min"], p["ended_by"]) for p in report["phases"]]
    assert rows == [
        ("Settling", 0.0, 600.0, 0.0, 600.0, 600.0, 0.0, 0.0, "clock"),
        ("Onset", 600.0, 1800.0, 600.0, 1920.0, 1320.0, 120.0, 0.0, "clock"),
        ("Peak", 1800.0, 3000.0, 1920.0, 3300.0, 1380.0, 0.0, 5.0, "advanced (cli)"),
        ("Return", 3000.0, 3900.0, 3300.0, 4200.0, 900.0, 0.0, 0.0, "clock"),
    ]
    assert report["phases"][2]["adjusted_end_s"] == 3420.0
    assert report["phases"][1]["actual_start"] == "2026-01-01T09:10:00+01:00"


def test_report_pauses_markers_actions_tracks_faults_restarts(data_dir: Path) -> None:
    report = build_report(data_dir, SESSION_ID)
    [pause] = report["pauses"]
    assert (pause["phase"], pause["start_s"], pause["end_s"], pause["length_s"], pause["paused_by"],
            pause["resumed_by"]) == ("Onset", 900.0, 1020.0, 120.0, "button", "web")
    assert [(e["phase"], e["minutes"], e["source"]) for e in report["extensions"]] == [("Peak", 5.0, "web")]
    assert [(a["from"], a["to"], a["source"]) for a in report["advances"]] == [("Peak", "Return", "cli")]
    assert [(m["text"], m["phase"], m["source"]) for m in report["markers"]] == [
        (MARKER_TEXT, "Settling", "web"), ("patient spoke", "Peak", "button")]
    assert [(a["source"], a["action"]) for a in report["staff_actions"]] == [
        ("cli", "session_started"), ("button", "volume_changed"), ("web", "marked"), ("button", "paused"),
        ("web", "resumed"), ("web", "calmer_started"), ("web", "phase_extended"), ("button", "marked"),
        ("cli", "phase_advanced")]
    assert [(t["file"], t["status"]) for t in report["tracks"]] == [
        ("settling/01 Rain.flac", "played"), ("settling/02 Drift.flac", "played"),
        ("onset/03 Tide.flac", "interrupted"), ("onset/04 Broken.flac", "skipped"),
        ("onset/05 Swell.flac", "played"), ("peak/06 Open Sky.flac", "played"), ("calmer/08 Still.flac", "played"),
        ("peak/06 Open Sky.flac", "played"), ("return/07 Shore.flac", "played")]
    assert [(c["phase"], c["start_s"], c["end_s"], c["minutes"], c["asked_by"], c["ended_by"])
            for c in report["calmer"]] == [("Peak", 2100.0, 2400.0, 5.0, "web", "time up")]
    assert report["tracks"][3]["reason"] == "could not be decoded"
    assert report["tracks"][0]["played_s"] == 295.5
    [fault] = report["faults"]
    assert (fault["message"], fault["elapsed_s"], fault["cleared_s"]) == ("audio device lost: pulse", 1100.0, 1105.0)
    assert [(r["elapsed_s"], r["gap_s"], r["policy"]) for r in report["restarts"]] == [(1500.0, 42.0, "continue")]
    assert [(v["from_db"], v["to_db"], v["source"]) for v in report["volume_changes"]] == [(-20.0, -17.0, "button")]
    assert report["log_problems"] == []


def test_json_round_trips(data_dir: Path) -> None:
    report = build_report(data_dir, SESSION_ID)
    assert json.loads(render_report(report, "json")) == report


def test_csv_parses_with_one_row_per_item(data_dir: Path) -> None:
    report = build_report(data_dir, SESSION_ID)
    text = render_report(report, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    dicts = list(csv.DictReader(io.StringIO(text)))
    kinds = [d["kind"] for d in dicts]
    assert kinds[0] == "session" and kinds.count("phase") == 4 and kinds.count("pause") == 1
    assert kinds[6:] == [r["type"] for r in realistic_session().records]
    peak = next(d for d in dicts if d["kind"] == "phase" and d["phase"] == "Peak")
    assert (float(peak["planned_start_s"]), float(peak["actual_start_s"]), float(peak["actual_end_s"])) == (
        1800.0, 1920.0, 3300.0)
    marked = next(d for d in dicts if d["kind"] == "marked")
    assert marked["detail"] == f"marker: {MARKER_TEXT}" and marked["source"] == "web"


def test_csv_neutralises_spreadsheet_formulas(tmp_path: Path) -> None:
    b = SessionLogBuilder()
    b.started((("=HYPERLINK(\"http://x\")", 0.0, 60.0),))
    b.add(0.0, "phase_started", phase="=HYPERLINK(\"http://x\")", index=0)
    text = render_report(summarize(b.session_id, b.records), "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not any(cell.startswith("=") for cell in cells)
    assert "'=HYPERLINK(\"http://x\")" in cells


class _Page(HTMLParser):
    """Collects text, checks that every opened element is closed, and keeps the timeline segments."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.segments: list[dict[str, str]] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs
        if tag not in self.VOID:
            self.stack.append(tag)
        a = dict(attrs)
        if "seg" in (a.get("class") or "").split():
            self.segments.append(a)  # type: ignore[arg-type]

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    return parser


def _style(seg: dict[str, str], prop: str) -> float:
    return float(re.search(rf"(?:^|;){prop}:([\d.]+)%", seg["style"]).group(1))


def test_html_is_self_contained_escaped_and_well_formed(data_dir: Path) -> None:
    report = build_report(data_dir, SESSION_ID)
    page = render_report(report, "html")
    parsed = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not any(name in ("src", "href") for name, _ in parsed.attrs)
    assert "http" not in page.split("</style>")[0] and "@import" not in page and "url(" not in page
    assert "@media print" in page
    text = "".join(parsed.text)
    assert MARKER_TEXT in text  # shown as typed...
    assert "<b>&amp;</b>" not in page and "&lt;b&gt;&amp;amp;&lt;/b&gt;" in page  # ...never as markup
    for needle in ("Room 3", SESSION_ID, "2026-01-01", "-6.0 dB", "Ketamine 40 min", "patient spoke",
                   "could not be decoded", "audio device lost: pulse", "0:42 down", "advanced (cli)"):
        assert needle in text, needle


def test_html_timeline_widths_are_proportional(data_dir: Path) -> None:
    report = build_report(data_dir, SESSION_ID)
    total = timeline_span_s(report)
    assert total == 4200.0
    segs = _parse(render_report(report, "html")).segments
    planned = [s for s in segs if s["data-kind"] == "planned"]
    actual = [s for s in segs if s["data-kind"] == "actual"]
    assert [s["data-phase"] for s in planned] == [name for name, _, _ in PLAN]
    for seg, (_, start, end) in zip(planned, PLAN, strict=True):
        assert _style(seg, "left") == pytest.approx(100 * start / total, abs=1e-3)
        assert _style(seg, "width") == pytest.approx(100 * (end - start) / total, abs=1e-3)
    for seg, phase in zip(actual, report["phases"], strict=True):
        assert _style(seg, "left") == pytest.approx(100 * phase["actual_start_s"] / total, abs=1e-3)
        assert _style(seg, "width") == pytest.approx(100 * phase["duration_s"] / total, abs=1e-3)


def test_in_progress_session(tmp_path: Path) -> None:
    realistic_session(ended=False).write(tmp_path)
    report = build_report(tmp_path, SESSION_ID)
    assert (report["outcome"], report["in_progress"], report["ended"]) == ("in_progress", True, None)
    peak = report["phases"][2]
    assert (peak["status"], peak["actual_end_s"], peak["duration_s"]) == ("current", None, 3000.0 - 1920.0)
    assert report["phases"][3]["status"] == "not reached" and report["phases"][3]["duration_s"] is None
    assert report["tracks"][-1]["status"] == "playing"
    page = render_report(report, "html")
    assert "No end of session is recorded" in "".join(_parse(page).text)
    assert 'class="seg open"' in page
    list(csv.reader(io.StringIO(render_report(report, "csv"))))


def test_torn_last_line_is_reported_not_fatal(data_dir: Path) -> None:
    path = session_log_path(data_dir, SESSION_ID)
    with path.open("ab") as fh:
        fh.write(b'{"seq": 99, "type": "marked", "details": {"te')
    report = build_report(data_dir, SESSION_ID)
    assert len(report["log_problems"]) == 1 and "cut short" in report["log_problems"][0]
    assert report["outcome"] == "completed" and len(report["markers"]) == 2
    assert "damaged line" in render_report(report, "html")


def test_stopped_session_names_the_stop(tmp_path: Path) -> None:
    b = SessionLogBuilder()
    b.started()
    b.add(0.0, "phase_started", phase="Settling", index=0)
    b.add(30.0, "paused", "web")
    b.add(100.0, "phase_ended", phase="Settling", index=0)
    b.add(100.0, "session_ended", "button", reason="emergency_stop")
    report = summarize(b.session_id, b.records)
    assert report["outcome"] == "emergency_stop"
    assert report["phases"][0]["ended_by"] == "emergency_stop"
    assert report["pauses"][0]["end_s"] == 100.0 and report["pauses"][0]["length_s"] == 70.0
    assert "EMERGENCY STOP" in render_report(report, "html")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".", "..", ".hidden", "x\x00y", "a b", "ü", "a" * 200])
def test_bad_session_ids_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(SessionNotFound, match="not a session id"):
        build_report(tmp_path, bad)
    with pytest.raises(SessionNotFound):
        check_session_id(bad)


def test_unknown_session_is_a_clear_player_error(data_dir: Path) -> None:
    with pytest.raises(PlayerError, match="no session 'nope'.*session-player sessions"):
        build_report(data_dir, "nope")


def test_list_sessions_newest_first(tmp_path: Path) -> None:
    assert list_sessions(tmp_path) == []
    older = realistic_session()
    newer = SessionLogBuilder("20260102-090000-room-3", older.start_wall.replace(day=2))
    newer.started()
    newer.add(0.0, "phase_started", phase="Settling", index=0)
    newer.add(95.0, "marked", "web", text="calm")
    older.write(tmp_path)
    newer.write(tmp_path)
    (tmp_path / "sessions" / "empty-dir").mkdir()
    (tmp_path / "sessions" / ".partial").mkdir()
    (tmp_path / "sessions" / "stray-file.txt").write_text("x")
    rows = list_sessions(tmp_path)
    assert [r["id"] for r in rows] == ["20260102-090000-room-3", SESSION_ID]
    assert rows[0] == {"id": "20260102-090000-room-3", "room": "Room 3", "playlist": "Ketamine 40 min",
                       "started": "2026-01-02T09:00:00+01:00", "ended": None, "outcome": "in_progress",
                       "duration_s": 95.0, "markers": 1, "faults": 0}
    assert (rows[1]["outcome"], rows[1]["ended"], rows[1]["duration_s"]) == (
        "completed", "2026-01-01T10:10:42+01:00", 4200.0)


def test_unknown_format_is_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="json, csv, html"):
        render_report(build_report(data_dir, SESSION_ID), "pdf")


def test_empty_log_still_renders(tmp_path: Path) -> None:
    path = session_log_path(tmp_path, "empty")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    report = build_report(tmp_path, "empty")
    assert report["phases"] == [] and report["outcome"] == "in_progress"
    for fmt in ("json", "csv", "html"):
        assert render_report(report, fmt)


_values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.lists(st.integers(), max_size=2))
_records = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(EVENT_TYPES) + ["mystery"]), "elapsed_s": _values, "time": _values,
     "source": st.sampled_from(["button", "cli", "web", "usb", "system", None])},
    optional={"details": st.one_of(_values, st.dictionaries(
        st.sampled_from(["phase", "index", "file", "reason", "text", "minutes", "planned_end_s", "paused_s",
                         "from", "to", "message", "gap_s", "policy", "phases", "room", "max_db"]), _values,
        max_size=5))})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_records, max_size=25))
def test_odd_logs_never_crash_any_renderer(records: list[dict]) -> None:
    report = summarize("fuzz", records)
    for fmt in ("json", "csv", "html"):
        assert render_report(report, fmt)
    _parse(render_report(report, "html"))


def test_each_record_handler_is_in_the_walk_table_under_its_record_type() -> None:
    from player.reports.report import _HANDLERS, _Summary

    methods = {name.removeprefix("_on_") for name in dir(_Summary) if name.startswith("_on_")}
    assert set(_HANDLERS) == methods
    assert all(_HANDLERS[kind] is getattr(_Summary, f"_on_{kind}") for kind in methods)
