"""Session reports from the durable event logs: what was planned, what happened, who did what.

`summarize` is the pure core: event records in, one report dict out (planned vs actual
phase times, pauses, extensions, advances, markers, staff actions, tracks, faults,
restarts, the volume cap in force). It never fails on a log that is odd rather than
broken: a session still running, a torn last line after a power cut, a daemon restart,
an event type it does not know. `build_report` / `list_sessions` read the logs under
``<data_dir>/sessions/``; `render_report` turns a report into JSON, CSV or HTML.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from player.core.exposure import exposure_text
from player.core.vocabulary import STAFF_SOURCES, describe
from player.durations import format_duration
from player.engine.eventlog import EVENTS_FILE, SESSIONS_DIR, is_session_id, scan_events, session_log_path
from player.errors import SessionNotFound
from player.numbers import finite
from player.reports.clinical import ClinicalRecords, clinical_csv_rows
from player.reports.preferences import keep_music_preferences
from player.reports.recovery import recovery_course

log = logging.getLogger(__name__)

REPORT_FORMATS = ("json", "csv", "html", "music")
#: What the session ended with when it has not ended (yet).
IN_PROGRESS = "in_progress"

# --- pure core -------------------------------------------------------------------------

def _text(value: object) -> str:
    return "" if value is None else str(value)


def _secs(value: object) -> str:
    seconds = finite(value)
    return "?" if seconds is None else format_duration(seconds)


class _Summary(ClinicalRecords):
    """Walks the records once, in file order, keeping what is open (phase, pause, tracks)."""

    def __init__(self, session_id: str) -> None:
        self.report: dict = {
            "session_id": session_id, "room": None, "playlist": None, "playlist_path": None,
            "volume": {"max_db": None, "start_db": None, "default_db": None}, "resume_policy": None,
            "exposure": None,
            "started": None, "ended": None, "outcome": IN_PROGRESS, "in_progress": True,
            "duration_s": 0.0, "last_event": None,
            "phases": [], "pauses": [], "extensions": [], "advances": [], "markers": [],
            "staff_actions": [], "volume_changes": [], "tracks": [], "faults": [], "restarts": [], "calmer": [],
            "log_problems": [], "events": [],
            "checklist": [], "checkpoints": [], "observations": {},   # player/reports/clinical.py
            "started_by": None, "recovery": None,   # who started (web, cli, button); player/reports/recovery.py
            "music_preferences": None,   # player/reports/preferences.py
        }
        self.phases: dict[object, dict] = {}
        self.current: dict | None = None
        self.last_ended: dict | None = None
        self.open_pause: dict | None = None
        self.open_calmer: dict | None = None
        self.open_tracks: list[dict] = []
        self.last_s = 0.0
        self.last_time: str | None = None

    # helpers
    def _phase_row(self, key: object, name: object) -> dict:
        row = self.phases.get(key)
        if row is None:
            row = {"name": _text(name), "index": key if isinstance(key, int) else len(self.phases),
                   "planned_start_s": None, "planned_end_s": None, "adjusted_end_s": None,
                   "actual_start_s": None, "actual_end_s": None, "actual_start": None, "actual_end": None,
                   "duration_s": None, "paused_s": 0.0, "extended_min": 0.0, "ended_by": None,
                   "status": "not reached"}
            self.phases[key] = row
        return row

    def _phase_by_event(self, d: dict) -> dict:
        index = d.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            return self._phase_row(index, d.get("phase"))
        for row in self.phases.values():
            if row["name"] == _text(d.get("phase")):
                return row
        return self._phase_row(_text(d.get("phase")), d.get("phase"))

    def _close_phase(self, row: dict, elapsed: float, time: str | None) -> None:
        if row["actual_end_s"] is None:
            row["actual_end_s"], row["actual_end"] = elapsed, time
        row["status"] = "done"
        self.last_ended = row
        if self.current is row:
            self.current = None

    def _close_pause(self, elapsed: float, time: str | None, paused_s: float | None, source: object) -> None:
        pause = self.open_pause
        if pause is None:
            return
        pause["end_s"], pause["end"] = elapsed, time
        pause["length_s"] = paused_s if paused_s is not None else max(0.0, elapsed - pause["start_s"])
        pause["resumed_by"] = source
        for row in self.phases.values():
            if row["name"] == pause["phase"]:
                row["paused_s"] += pause["length_s"]
        self.open_pause = None

    def _close_track(self, file: str, elapsed: float, time: str | None, status: str) -> dict | None:
        for track in reversed(self.open_tracks):
            if track["file"] == file:
                self.open_tracks.remove(track)
                track.update(ended_s=elapsed, ended=time, status=status,
                             played_s=max(0.0, elapsed - track["started_s"]))
                return track
        return None

    # the walk
    def add(self, rec: dict) -> None:
        r = self.report
        r["events"].append(rec)
        kind = rec.get("type")
        d = rec.get("details") if isinstance(rec.get("details"), dict) else {}
        elapsed = finite(rec.get("elapsed_s"))
        elapsed = self.last_s if elapsed is None else elapsed
        self.last_s = max(self.last_s, elapsed)
        time = rec.get("time") if isinstance(rec.get("time"), str) else None
        self.last_time = time or self.last_time
        source = rec.get("source")
        phase = self.current["name"] if self.current else None
        when = {"time": time, "elapsed_s": elapsed}
        if source in STAFF_SOURCES:
            r["staff_actions"].append({**when, "phase": phase, "source": source, "action": kind,
                                       "detail": describe(rec)})
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            handler(self, d, elapsed, time, source, phase, when)

    def _on_session_started(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        r = self.report
        if r["started"] is not None:
            return
        r.update(room=d.get("room"), playlist=d.get("playlist"), playlist_path=d.get("playlist_path"),
                 resume_policy=d.get("resume_policy"), started=time, started_by=source)
        r["volume"].update({k: finite(d.get(k)) for k in ("max_db", "start_db", "default_db")})
        self._plan_checklist(d.get("checklist"))
        self._plan_checkpoints(d.get("checkpoints"))
        phases = d.get("phases")
        for i, planned in enumerate(phases if isinstance(phases, list) else []):
            if isinstance(planned, dict):
                row = self._phase_row(i, planned.get("name"))
                row["planned_start_s"] = finite(planned.get("planned_start_s"))
                row["planned_end_s"] = row["adjusted_end_s"] = finite(planned.get("planned_end_s"))

    def _on_phase_started(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        row = self._phase_by_event(d)
        if self.current is not None and self.current is not row:
            self._close_phase(self.current, elapsed, time)
        if row["actual_start_s"] is None:  # a restart may announce the same phase again
            row["actual_start_s"], row["actual_start"] = elapsed, time
        if finite(d.get("planned_end_s")) is not None:
            row["adjusted_end_s"] = finite(d.get("planned_end_s"))
        row["status"], row["actual_end_s"], row["actual_end"] = "current", None, None
        self.current = row

    def _on_phase_ended(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        row = self._phase_by_event(d)
        row["actual_end_s"] = row["actual_end"] = None  # the latest end wins
        self._close_phase(row, elapsed, time)
        row["ended_by"] = row["ended_by"] or "clock"

    def _on_phase_extended(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        row = self._phase_by_event(d) if d.get("phase") is not None else self.current
        minutes = finite(d.get("minutes")) or 0.0
        if row is not None:
            row["extended_min"] += minutes
            row["adjusted_end_s"] = finite(d.get("planned_end_s")) or row["adjusted_end_s"]
        self.report["extensions"].append({**when, "phase": d.get("phase", phase), "minutes": minutes,
                                          "planned_end_s": finite(d.get("planned_end_s")), "source": source})

    def _on_phase_advanced(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        named = [row for row in self.phases.values() if row["name"] == _text(d.get("from"))]
        for row in named[-1:] or ([self.current] if self.current else []):
            row["ended_by"] = f"advanced ({source})"
        self.report["advances"].append({**when, "from": d.get("from"), "to": d.get("to"), "source": source})

    def _on_paused(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        if self.open_pause is None:
            self.open_pause = {"phase": phase, "start": time, "start_s": elapsed, "end": None, "end_s": None,
                               "length_s": None, "paused_by": source, "resumed_by": None}
            self.report["pauses"].append(self.open_pause)

    def _on_resumed(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self._close_pause(elapsed, time, finite(d.get("paused_s")), source)

    def _on_marked(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self.report["markers"].append({**when, "phase": phase, "text": _text(d.get("text")), "source": source})

    def _on_volume_changed(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self.report["volume_changes"].append({**when, "from_db": finite(d.get("from_db")),
                                              "to_db": finite(d.get("to_db")), "source": source})

    def _on_track_started(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        track = {"phase": d.get("phase", phase), "file": _text(d.get("file")), "started": time,
                 "started_s": elapsed, "ended": None, "ended_s": None, "played_s": None,
                 "status": "playing", "reason": None}
        self.open_tracks.append(track)
        self.report["tracks"].append(track)

    def _on_calmer_started(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        """A calmer period; asked again while it plays, only its end changes."""
        if self.open_calmer is None:
            self.open_calmer = {"phase": d.get("phase", phase), "start": time, "start_s": elapsed, "end": None,
                                "end_s": None, "minutes": None, "until_s": None, "asked_by": source,
                                "ended_by": None}
            self.report["calmer"].append(self.open_calmer)
        self.open_calmer.update(minutes=finite(d.get("minutes")), until_s=finite(d.get("until_s")))

    def _on_calmer_ended(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self._close_calmer(elapsed, time, _text(d.get("reason")) or "ended")

    def _close_calmer(self, elapsed: float, time: str | None, reason: str) -> None:
        if self.open_calmer is not None:
            self.open_calmer.update(end_s=elapsed, end=time, ended_by=reason)
            self.open_calmer = None

    def _on_track_ended(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self._close_track(_text(d.get("file")), elapsed, time, "played")

    def _on_track_skipped(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        track = self._close_track(_text(d.get("file")), elapsed, time, "skipped")
        if track is None:
            track = {"phase": phase, "file": _text(d.get("file")), "started": time, "started_s": elapsed,
                     "ended": time, "ended_s": elapsed, "played_s": 0.0, "status": "skipped"}
            self.report["tracks"].append(track)
        track["reason"] = d.get("reason")

    def _on_fault(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self.report["faults"].append({**when, "phase": phase, "message": _text(d.get("message")),
                                      "cleared": None, "cleared_s": None})

    def _on_fault_cleared(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        open_faults = [f for f in self.report["faults"] if f["cleared_s"] is None]
        same = [f for f in open_faults if f["message"] == _text(d.get("message"))]
        for fault in (same or open_faults)[:1]:
            fault["cleared"], fault["cleared_s"] = time, elapsed

    def _on_daemon_restarted(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        self.report["restarts"].append({**when, "phase": phase, "gap_s": finite(d.get("gap_s")),
                                        "policy": d.get("policy")})
        for track in self.open_tracks:  # the power cut ended whatever was playing
            track.update(ended_s=elapsed, ended=time, status="interrupted",
                         played_s=max(0.0, elapsed - track["started_s"]))
        self.open_tracks.clear()

    def _on_exposure(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        """The latest figures of what was heard (each record holds the whole session so far)."""
        self.report["exposure"] = {k: finite(d.get(k)) for k in ("seconds", "leq_db", "laeq_dba", "daily_dose",
                                                                "weekly_share")}

    def _on_session_ended(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        r = self.report
        r.update(ended=time, outcome=_text(d.get("reason")) or "ended", in_progress=False)
        self._close_pause(elapsed, time, None, source)
        self._close_calmer(elapsed, time, "session ended")
        self._close_checkpoints()
        reason = _text(d.get("reason"))
        if self.current is not None:
            self.current["ended_by"] = self.current["ended_by"] or reason
            self._close_phase(self.current, elapsed, time)
        elif (self.last_ended is not None and self.last_ended["actual_end_s"] == elapsed
              and self.last_ended["ended_by"] == "clock" and reason != "completed"):
            self.last_ended["ended_by"] = reason  # the phase ended because the session was stopped
        for track in self.open_tracks:
            track.update(ended_s=elapsed, ended=time, status="stopped",
                         played_s=max(0.0, elapsed - track["started_s"]))
        self.open_tracks.clear()

    def _on_music_preferences(self, d: dict, elapsed: float, time, source, phase, when) -> None:
        keep_music_preferences(self.report, d)   # player/reports/preferences.py

    def finish(self, problems: list[str]) -> dict:
        r = self.report
        r["duration_s"] = self.last_s
        r["last_event"] = self.last_time
        r["log_problems"] = list(problems)
        rows = sorted(self.phases.values(), key=lambda row: row["index"])
        for row in rows:
            end = row["actual_end_s"] if row["actual_end_s"] is not None else (
                self.last_s if row["status"] == "current" else None)
            if row["actual_start_s"] is not None and end is not None:
                row["duration_s"] = max(0.0, end - row["actual_start_s"])
        r["phases"] = rows
        r["recovery"] = recovery_course(r)
        return r



#: What the walk does with each record type it reads (any other type is only listed).
_HANDLERS: dict[str, Callable[..., None]] = {
    "session_started": _Summary._on_session_started,
    "phase_started": _Summary._on_phase_started,
    "phase_ended": _Summary._on_phase_ended,
    "phase_extended": _Summary._on_phase_extended,
    "phase_advanced": _Summary._on_phase_advanced,
    "paused": _Summary._on_paused,
    "resumed": _Summary._on_resumed,
    "marked": _Summary._on_marked,
    "volume_changed": _Summary._on_volume_changed,
    "track_started": _Summary._on_track_started,
    "calmer_started": _Summary._on_calmer_started,
    "calmer_ended": _Summary._on_calmer_ended,
    "track_ended": _Summary._on_track_ended,
    "track_skipped": _Summary._on_track_skipped,
    "fault": _Summary._on_fault,
    "fault_cleared": _Summary._on_fault_cleared,
    "daemon_restarted": _Summary._on_daemon_restarted,
    "exposure": _Summary._on_exposure,
    "session_ended": _Summary._on_session_ended,
    "checkpoint_due": _Summary._on_checkpoint_due,
    "checkpoint_acknowledged": _Summary._on_checkpoint_acknowledged,
    "checkpoint_missed": _Summary._on_checkpoint_missed,
    "observation": _Summary._on_observation,
    "music_preferences": _Summary._on_music_preferences,
}

def summarize(session_id: str, events: list[dict], problems: list[str] | tuple[str, ...] = ()) -> dict:
    """The report dict for one session's event records (pure; see the module docstring).

    Args:
        session_id: the session's id (records carry it too; this one wins).
        events: the records in file order.
        problems: descriptions of skipped log lines, shown in the report.
    """
    summary = _Summary(session_id)
    for record in events:
        if isinstance(record, dict):
            summary.add(record)
    return summary.finish(list(problems))


# --- files -----------------------------------------------------------------------------

def build_report(data_dir: str | os.PathLike[str], session_id: str) -> dict:
    """Read ``<data_dir>/sessions/<session_id>/events.jsonl`` and summarize it.

    Raises:
        SessionNotFound: the id is malformed or no such session was recorded.
    """
    path = session_log_path(data_dir, session_id)
    try:
        events, problems = scan_events(path)
    except FileNotFoundError:
        raise SessionNotFound(f"no session {session_id!r} in {Path(data_dir) / SESSIONS_DIR} "
                              "('session-player sessions' lists them)") from None
    for problem in problems:
        log.warning("%s", problem)
    return summarize(session_id, events, problems)


def session_log_bytes(data_dir: str | os.PathLike[str], session_id: str) -> bytes:
    """The session's event log as written: an export carries it beside the reports made from it."""
    return session_log_path(data_dir, session_id).read_bytes()


def _sort_key(row: dict) -> tuple[float, str]:
    try:
        started = datetime.fromisoformat(row["started"]).timestamp()
    except (TypeError, ValueError):
        started = float("-inf")
    return (started, row["id"])


def list_sessions(data_dir: str | os.PathLike[str]) -> list[dict]:
    """Every recorded session, newest first, as rows for a table.

    Each row: id, room, playlist, started, ended (ISO-8601 or None), outcome (completed,
    stopped, emergency_stop or in_progress), duration_s, markers, faults.
    """
    root = Path(data_dir) / SESSIONS_DIR
    if not root.is_dir():
        return []
    rows = []
    for entry in root.iterdir():
        if not entry.is_dir() or not is_session_id(entry.name):
            continue
        try:
            events, problems = scan_events(entry / EVENTS_FILE)
        except FileNotFoundError:
            continue  # a session directory whose log was never written
        except OSError as exc:
            log.warning("cannot read %s: %s", entry / EVENTS_FILE, exc)
            continue
        r = summarize(entry.name, events, problems)
        rows.append({"id": entry.name, "room": r["room"], "playlist": r["playlist"], "started": r["started"],
                     "ended": r["ended"], "outcome": r["outcome"], "duration_s": r["duration_s"],
                     "markers": len(r["markers"]), "faults": len(r["faults"])})
    rows.sort(key=_sort_key, reverse=True)
    return rows


# --- rendering -------------------------------------------------------------------------

CSV_COLUMNS = ("kind", "phase", "time", "elapsed_s", "planned_start_s", "planned_end_s", "actual_start_s",
               "actual_end_s", "duration_s", "source", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell; free text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(report: dict) -> str:
    """Rows: the session, each phase, each pause, each checkpoint and observation, then every event."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    volume = report["volume"]
    writer.writerow(map(_cell, ["session", None, report["started"], 0.0, None, None, 0.0,
                                None if report["in_progress"] else report["duration_s"], report["duration_s"], None,
                                f"{report['session_id']}; {report['room']}; playlist {report['playlist']}; "
                                f"volume cap {volume['max_db']} dB; outcome {report['outcome']}"
                                + exposure_text(report.get("exposure"), "; ")]))
    for p in report["phases"]:
        writer.writerow(map(_cell, [
            "phase", p["name"], p["actual_start"], p["actual_start_s"], p["planned_start_s"], p["planned_end_s"],
            p["actual_start_s"], p["actual_end_s"], p["duration_s"], None,
            f"{p['status']}; paused {_secs(p['paused_s'])}; extended {p['extended_min']:g} min; "
            f"ended by {p['ended_by'] or '-'}"]))
    for pause in report["pauses"]:
        writer.writerow(map(_cell, [
            "pause", pause["phase"], pause["start"], pause["start_s"], None, None, pause["start_s"],
            pause["end_s"], pause["length_s"], pause["paused_by"],
            f"resumed by {pause['resumed_by']}" if pause["resumed_by"] else "not resumed"]))
    for row in clinical_csv_rows(report):
        writer.writerow(map(_cell, row))
    phase = None
    for rec in report["events"]:
        details = rec.get("details") if isinstance(rec.get("details"), dict) else {}
        if rec.get("type") == "phase_started":
            phase = details.get("phase")
        writer.writerow(map(_cell, [rec.get("type"), details.get("phase", phase), rec.get("time"),
                                    finite(rec.get("elapsed_s")), None, None, None, None, None,
                                    rec.get("source"), describe(rec)]))
    return out.getvalue()


def render_report(report: dict, fmt: str, take_home: object = None) -> str:
    """The report as ``json`` (everything, including the raw records), ``csv``, ``html``, or ``music``
    (the patient's list of the music heard: player/reports/music.py; reads the files' tags; with the
    config's `take_home`, its integration section)."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return render_csv(report)
    if fmt == "html":
        from player.reports.html_page import render_html  # the HTML page is large; load it only when asked

        return render_html(report)
    if fmt == "music":
        from player.reports.music import music_rows, render_music

        return render_music(music_rows(report), take_home)  # type: ignore[arg-type]
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
