"""The import listens to the music it copies: where a voice speaks reaches the stick's report.

After the copied playlists pass the probe gate, every file they play is listened to for a
spoken voice (`player.audio.voice_cache`). Each playlist's warnings (the voice's, with where
it speaks, and the validator's own: tags suggesting vocals, loops...) become report lines
``playlists/NAME:LINE``; with ``library.voice_scan: error`` a voice (or a file that could not
be checked) refuses the playlist instead. What was heard is kept in the generation's manifest
so `session-player playlists` and the page can show it without listening again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from player.audio.voice import VoiceScan
from player.audio.voice_cache import CACHE_NAME, VoiceLookup
from player.errors import PlaylistInvalid
from player.playlist.model import Playlist
from player.playlist.voice_check import tracks_to_scan, voice_diagnostics
from player.usb.plan import Candidate, Refusal, relative_reference

PREFIX = "playlists/"


@dataclass
class Heard:
    """What the gate found: playlists kept, refused, report warnings, and scans by file (relative)."""

    kept: list[Candidate] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    scans: dict[str, dict] = field(default_factory=dict)


def listen(cands: list[Candidate], folder: Path, loader: Callable[..., Playlist], mode: str,
           data_dir: Path | None) -> Heard:
    """Listen to the files of `cands` (playlists in `folder`); `data_dir` None: do not cache (dry run)."""
    heard = Heard()
    lookup = VoiceLookup(data_dir / CACHE_NAME if data_dir is not None else None)
    base = os.path.abspath(folder)
    for cand in cands:
        try:
            playlist = loader(Path(base) / cand.name, probe=True)
        except (PlaylistInvalid, ValueError, OSError):
            heard.kept.append(cand)   # the probe gate just accepted it: nothing more to say here
            continue
        scans: dict[Path, VoiceScan] = {}
        if mode != "off":
            scans = lookup.scan_all(t.path for t in tracks_to_scan(playlist))
        found = voice_diagnostics(playlist, scans, mode)
        heard.scans.update({relative_reference(os.fspath(p), base): s.as_dict() for p, s in scans.items()})
        errors = [d for d in found if d.severity == "error"]
        if errors:
            heard.refusals.extend(Refusal(f"{PREFIX}{cand.name}:{d.line}", d.message) for d in errors)
            continue
        heard.kept.append(cand)
        heard.warnings.extend({"subject": f"{PREFIX}{cand.name}:{d.line}", "warning": d.message}
                              for d in sorted((*playlist.warnings, *found), key=lambda d: d.line))
    return heard
