"""Export session reports to a stick: ``session-player/reports/<room>/<session-id>.{html,csv,json}``.

Each file (and the raw ``<session-id>.events.jsonl``, and the patient's music feedback
``<session-id>.music-feedback.jsonl`` where there is any) is written temp + fsync + rename +
fsync-dir through `stick.write_atomic`, walking folders without following links, so a
pulled stick leaves whole files or none. Which sessions were exported is remembered in
``<data_dir>/usb-exports.json``; a session still running is exported as it stands and
again next time, and so is a session whose music feedback changed after its export.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

from player.fsutil import atomic_write_text
from player.reports.feedback import feedback_bytes
from player.reports.report import IN_PROGRESS, build_report, list_sessions, render_report, session_log_bytes
from player.usb.stick import REPORTS_DIR, STICK_DIR, opened_dir, write_atomic

EXPORTS_FILE = "usb-exports.json"
FORMATS = ("html", "csv", "json")


def safe_folder_name(room: object) -> str:
    """A room label as a folder name every stick file system accepts (vfat is the strictest)."""
    text = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]', "_", str(room or "unknown-room")).strip(" .")
    return text[:64] or "unknown-room"


def _load_exported(data_dir: Path) -> tuple[dict, dict]:
    """Which sessions were exported (id: when), and how many bytes of each one's music feedback went with it."""
    try:
        data = json.loads((data_dir / EXPORTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, {}
    data = data if isinstance(data, dict) else {}
    exported, feedback = data.get("exported"), data.get("feedback_bytes")
    return (exported if isinstance(exported, dict) else {}), (feedback if isinstance(feedback, dict) else {})


def export_reports(root: str | os.PathLike[str], data_dir: str | os.PathLike[str], *,
                   all_sessions: bool = False) -> list[str]:
    """Write reports of sessions not exported before (or all) onto the stick at `root`.

    Returns:
        the stick paths written (relative to `root`).

    Raises:
        OSError: the stick is read-only, full or gone; sessions not yet written are not
            marked exported, so the next export retries them.
    """
    data_dir = Path(data_dir)
    exported, feedback_sent = _load_exported(data_dir)
    written = []
    for row in reversed(list_sessions(data_dir)):  # oldest first
        sid = row["id"]
        feedback = feedback_bytes(data_dir, sid)       # append-only: a new answer makes it longer
        if not all_sessions and sid in exported and feedback_sent.get(sid, 0) == len(feedback):
            continue
        report = build_report(data_dir, sid)
        folder = f"{STICK_DIR}/{REPORTS_DIR}/{safe_folder_name(row['room'])}"
        with opened_dir(root, folder, create=True) as fd:
            for fmt in FORMATS:
                write_atomic(fd, f"{sid}.{fmt}", render_report(report, fmt).encode("utf-8"))
                written.append(f"{folder}/{sid}.{fmt}")
            write_atomic(fd, f"{sid}.events.jsonl", session_log_bytes(data_dir, sid))
            written.append(f"{folder}/{sid}.events.jsonl")
            if feedback:
                write_atomic(fd, f"{sid}.music-feedback.jsonl", feedback)
                written.append(f"{folder}/{sid}.music-feedback.jsonl")
        if report["outcome"] != IN_PROGRESS:
            exported[sid] = datetime.now().astimezone().isoformat(timespec="seconds")
            feedback_sent[sid] = len(feedback)
            atomic_write_text(data_dir / EXPORTS_FILE, json.dumps(
                {"last_export": exported[sid], "exported": exported, "feedback_bytes": feedback_sent}, indent=1) + "\n")
    return written
