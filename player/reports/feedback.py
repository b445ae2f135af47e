"""Music feedback read back: the sums across sessions for the clinician, and one session's for the page.

``session-player music-feedback`` sums every finished session's ``music-feedback.jsonl``
per track (and per phase) with `collect`; the chair page's feedback form reads one session
with `session_feedback`. Both read the files the engine wrote (player/engine/feedback_log.py)
and never write. A damaged file never stops the sums: a bad line is skipped and named
(``FILE:LINE: ...``), a file that cannot be read is named, and the rest is still counted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from player.core.music_feedback import ANSWERS, heard, latest_answers, sum_feedback
from player.engine.eventlog import SESSIONS_DIR, is_session_id, scan_events, session_log_path
from player.engine.feedback_log import FEEDBACK_FILE, feedback_path
from player.errors import SessionNotFound
from player.playlist.probe import track_tags
from player.reports.report import list_sessions


def collect(data_dir: str | os.PathLike[str]) -> dict:
    """Every session's answers summed (player/core/music_feedback.py `sum_feedback`).

    Returns:
        ``{"rows": [...], "sessions": N (sessions with feedback), "problems": ["FILE:LINE: ..."]}``
    """
    root = Path(data_dir) / SESSIONS_DIR
    found: list[tuple[str, list[dict]]] = []
    problems: list[str] = []
    entries = sorted(root.iterdir()) if root.is_dir() else []
    for entry in entries:
        path = entry / FEEDBACK_FILE
        if not is_session_id(entry.name) or not path.exists():
            continue
        try:
            records, skipped = scan_events(path)
        except OSError as exc:
            problems.append(f"{path}: cannot read ({exc.strerror or exc}); its answers are not counted")
            continue
        problems += skipped
        found.append((entry.name, records))
    return {"rows": sum_feedback(found), "sessions": sum(1 for _, r in found if latest_answers(r)),
            "problems": problems}


def render_text(summary: dict) -> str:
    """A plain table a clinician reads (widest name first column), then how many sessions answered."""
    rows = summary["rows"]
    if not rows:
        return "No music feedback recorded yet.\n"
    head = ("track or phase", *ANSWERS, "sessions", "notes")
    names = [("" if r["kind"] == "track" else "phase: ") + r["item"] for r in rows]
    width = max(len(head[0]), *map(len, names))
    lines = [f"{head[0]:<{width}}  " + "  ".join(f"{h:>9}" for h in head[1:])]
    for name, r in zip(names, rows, strict=True):
        lines.append(f"{name:<{width}}  " + "  ".join(f"{r[k]:>9}" for k in (*ANSWERS, "sessions", "notes")))
    lines.append(f"{summary['sessions']} session(s) with feedback")
    return "\n".join(lines) + "\n"


def render_json(summary: dict) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def latest_ended(data_dir: str | os.PathLike[str]) -> str | None:
    """The newest session that ended (the one the page asks about), or None."""
    return next((row["id"] for row in list_sessions(data_dir) if row["outcome"] != "in_progress"), None)


def session_feedback(data_dir: str | os.PathLike[str], session_id: str | None = None) -> dict:
    """What the page's feedback form shows: the tracks heard and phases reached, and the answers that count.

    `session_id` None: the newest session that ended (``{"session_id": None}`` when there is none).

    Raises:
        SessionNotFound: no such session.
    """
    session_id = session_id or latest_ended(data_dir)
    if session_id is None:
        return {"session_id": None, "tracks": [], "phases": [], "answers": [], "ended": False}
    log_path = session_log_path(data_dir, session_id)
    try:
        events, _ = scan_events(log_path)
    except FileNotFoundError:
        raise SessionNotFound(f"no session {session_id!r} ('session-player sessions' lists them)") from None
    tracks, phases, ended = heard(events)
    started = next((r.get("details") for r in events if r.get("type") == "session_started"), None)
    playlist = started.get("playlist_path") if isinstance(started, dict) else None
    base = Path(playlist).parent if isinstance(playlist, str) and playlist else None
    for track in tracks:       # the title the patient knows (the tags), else the file's name
        title, artist = track_tags(base / track["file"]) if base is not None else (None, None)
        track.update(title=title or Path(track["file"]).stem, artist=artist)
    try:
        records, _ = scan_events(feedback_path(data_dir, session_id))
    except FileNotFoundError:
        records = []
    answers = [{"kind": a.kind, "item": a.item, "answer": a.answer, "note": a.note, "time": a.time}
               for a in latest_answers(records).values()]
    return {"session_id": session_id, "tracks": tracks, "phases": phases, "answers": answers, "ended": ended}



def feedback_bytes(data_dir: str | os.PathLike[str], session_id: str) -> bytes:
    """The session's ``music-feedback.jsonl`` as it stands (empty when no answer was given), e.g. for an export."""
    try:
        return feedback_path(data_dir, session_id).read_bytes()
    except FileNotFoundError:
        return b""
