"""Export session reports to a stick: ``session-player/reports/<room>/<session-id>.{html,csv,json}``.

Each file (and the raw ``<session-id>.events.jsonl``) is written temp + fsync + rename +
fsync-dir through `stick.write_atomic`, walking folders without following links, so a
pulled stick leaves whole files or none. Which sessions were exported is remembered in
``<data_dir>/usb-exports.json``; a session still running is exported as it stands and
again next time.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

from player.fsutil import atomic_write_text
from player.reports.report import IN_PROGRESS, build_report, list_sessions, render_report, session_log_bytes
from player.usb.stick import REPORTS_DIR, STICK_DIR, opened_dir, write_atomic

EXPORTS_FILE = "usb-exports.json"
FORMATS = ("html", "csv", "json")


def safe_folder_name(room: object) -> str:
    """A room label as a folder name every stick file system accepts (vfat is the strictest)."""
    text = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]', "_", str(room or "unknown-room")).strip(" .")
    return text[:64] or "unknown-room"


def _load_exported(data_dir: Path) -> dict:
    try:
        data = json.loads((data_dir / EXPORTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    exported = data.get("exported") if isinstance(data, dict) else None
    return exported if isinstance(exported, dict) else {}


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
    exported = _load_exported(data_dir)
    written = []
    for row in reversed(list_sessions(data_dir)):  # oldest first
        sid = row["id"]
        if not all_sessions and sid in exported:
            continue
        report = build_report(data_dir, sid)
        folder = f"{STICK_DIR}/{REPORTS_DIR}/{safe_folder_name(row['room'])}"
        with opened_dir(root, folder, create=True) as fd:
            for fmt in FORMATS:
                write_atomic(fd, f"{sid}.{fmt}", render_report(report, fmt).encode("utf-8"))
                written.append(f"{folder}/{sid}.{fmt}")
            write_atomic(fd, f"{sid}.events.jsonl", session_log_bytes(data_dir, sid))
            written.append(f"{folder}/{sid}.events.jsonl")
        if report["outcome"] != IN_PROGRESS:
            exported[sid] = datetime.now().astimezone().isoformat(timespec="seconds")
            atomic_write_text(data_dir / EXPORTS_FILE, json.dumps(
                {"last_export": exported[sid], "exported": exported}, indent=1) + "\n")
    return written
