"""What the voice scan found, as a playlist's diagnostics (FILE:LINE). Pure.

A spoken voice is a warning for the clinician to review, with where to listen; a clinic
can make it an error (``library.voice_scan: error``). A file that could not be checked is
never "no voice": it is a warning too, and an error where voices are errors, since nothing
then says the music is free of them. Files that could not be checked for the same reason
(onnxruntime not installed) share one line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from player.playlist.model import Diagnostic, Playlist, Track


class VoiceScan(Protocol):
    """What listening found in one file (`player.audio.voice.VoiceScan`; the playlist core imports no audio)."""

    checked: bool
    reason: str

    @property
    def voice(self) -> bool: ...

    def describe(self) -> str: ...

VOICE_MODES = ("warn", "error", "off")
VOICE_ADVICE = "listen there: session music should have no spoken words"


def tracks_to_scan(playlist: Playlist) -> list[Track]:
    """Each file the playlist may play, once, in play order (the first time it is named)."""
    seen: dict[Path, Track] = {}
    for track in playlist.all_tracks:
        seen.setdefault(track.path, track)
    return list(seen.values())


def voice_diagnostics(playlist: Playlist, scans: Mapping[Path, VoiceScan], mode: str,
                      file: str | None = None) -> list[Diagnostic]:
    """Diagnostics for the files in `scans` (by absolute path), at the line that first names each.

    Args:
        mode: ``library.voice_scan``: warn, error, off (off: none).
        file: the playlist as shown in each diagnostic (default: its path).
    """
    if mode == "off":
        return []
    shown = file or str(playlist.path)
    severity = "error" if mode == "error" else "warning"
    name = _namer(playlist)
    out: list[Diagnostic] = []
    unchecked: dict[str, list[Track]] = {}
    for track in tracks_to_scan(playlist):
        scan = scans.get(track.path)
        if scan is None:
            continue
        if not scan.checked:
            unchecked.setdefault(scan.reason, []).append(track)
        elif scan.voice:
            out.append(Diagnostic(shown, max(track.line, 1), severity,
                                  f"{name(track)}: {scan.describe()}; {VOICE_ADVICE}"))
    for reason, tracks in unchecked.items():
        names = ", ".join(name(t) for t in tracks[:3]) + (f" and {len(tracks) - 3} more" if len(tracks) > 3 else "")
        out.append(Diagnostic(shown, max(tracks[0].line, 1), severity,
                              f"{names}: could not check for a spoken voice ({reason}); listen to "
                              f"{'it' if len(tracks) == 1 else 'them'} before a session"))
    return sorted(out, key=lambda d: d.line)


def _namer(playlist: Playlist) -> Callable[[Track], str]:
    base = os.fspath(playlist.path.parent)
    return lambda track: Path(os.path.relpath(track.path, base)).as_posix()


def voice_rows(playlist: Playlist, heard: Mapping[str, Mapping]) -> list[dict]:
    """The files a clinician should listen to: ``[{"file", "ranges", "checked", "reason"}]``.

    `heard` is the import's record (the manifest's ``voice``: file relative to the playlist's
    folder -> `VoiceScan.as_dict`); a file with a voice, or not checked (also: not in the
    record), is listed; a file heard without a voice is not.
    """
    name = _namer(playlist)
    rows = []
    for track in tracks_to_scan(playlist):
        found = heard.get(name(track)) or {"checked": False, "ranges": [], "reason": "not listened to"}
        if found.get("ranges") or not found.get("checked"):
            rows.append({"file": name(track), "ranges": list(found.get("ranges", [])),
                         "checked": bool(found.get("checked")), "reason": str(found.get("reason", ""))})
    return rows
