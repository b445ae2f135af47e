"""One line's worth about a playlist, for choosing one at the chair: `session-player playlists`, the web page.

Name, title, planned length, phases, checkpoints, whether it has calmer music, and whether
it is valid (with its first error). A library generation never changes once imported, so
a summary is kept per file (path, size, modification time) and each file is validated once.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from player.errors import PlaylistInvalid
from player.playlist.model import Playlist
from player.playlist.plan import plan_session
from player.playlist.validate import load_playlist
from player.playlist.voice_check import voice_rows
from player.yamlsafe import YamlRefused, load_yaml_file


def checkpoint_count(playlist: Playlist | None, path: Path) -> int:
    """How many checkpoints the playlist lists (its top-level ``checkpoints:``), 0 when none.

    The parsed playlist's ``checkpoints`` (repeats expanded), else, for a playlist the parser
    refuses, the list in the file as written, so staff still see its count.
    """
    if playlist is not None:
        return len(playlist.checkpoints)
    try:
        data = load_yaml_file(path)
    except (YamlRefused, OSError):
        return 0
    listed = data.get("checkpoints") if isinstance(data, dict) else None
    return len(listed) if isinstance(listed, list) else 0


Heard = Callable[[Path], Mapping[str, Mapping]]   # playlist file -> what the import heard in its files


def _nothing_heard(path: Path) -> Mapping[str, Mapping]:
    return {}


def summarize_playlist(name: str, path: Path, voice_scan: str = "warn", heard: Heard = _nothing_heard) -> dict:
    """``{"name", "title", "duration_s", "phases", "checkpoints", "calmer", "valid", "error", "warnings", "voice"}``.

    ``voice``: the files to listen to (a spoken voice heard at import, with where, or not
    checked; `voice_check.voice_rows`) from `heard` (the library's record,
    `player.playlist.library.voice_heard`); empty with ``library.voice_scan: off``.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        return _invalid(name, f"{path}: cannot read playlist: {exc.strerror or exc}", 0)
    row = dict(_summary(name, str(path), st.st_size, st.st_mtime_ns, heard))
    if voice_scan == "off":
        row["voice"] = []
    return row


@functools.lru_cache(maxsize=256)
def _summary(name: str, path: str, size: int, mtime_ns: int, heard: Heard) -> dict:
    try:
        playlist = load_playlist(Path(path))
    except PlaylistInvalid as exc:
        errors = [d for d in exc.diagnostics if d.severity == "error"]
        return _invalid(name, str(errors[0]) if errors else str(exc), checkpoint_count(None, Path(path)))
    try:
        total = plan_session(playlist).total_s
    except ValueError:
        total = playlist.total_s
    return {"name": name, "title": playlist.name, "duration_s": round(total, 3),
            "phases": [p.name for p in playlist.phases], "checkpoints": checkpoint_count(playlist, Path(path)),
            "calmer": bool(playlist.calmer) or any(p.calmer for p in playlist.phases), "valid": True,
            "error": None, "warnings": len(playlist.warnings), "voice": voice_rows(playlist, heard(Path(path)))}


def _invalid(name: str, error: str, checkpoints: int) -> dict:
    return {"name": name, "title": None, "duration_s": None, "phases": [], "checkpoints": checkpoints,
            "calmer": False, "valid": False, "error": error, "warnings": 0, "voice": []}


def summarize_library(playlists: dict[str, Path], voice_scan: str = "warn",
                      heard: Heard = _nothing_heard) -> list[dict]:
    """A summary of each playlist, in the order given (the library's: by name)."""
    return [summarize_playlist(name, path, voice_scan, heard) for name, path in playlists.items()]
