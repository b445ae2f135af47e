"""Check playlists before a session: every error and warning, each as FILE:LINE.

Errors (missing or unreadable files, unknown keys, bad durations, paths leaving the
playlist's folder ...) make a playlist invalid. Warnings point at what a clinician should
look at (tracks that may have vocals, phases whose tracks will loop, short tracks at peak,
mixed sample rates) but do not stop a session. A valid playlist's tracks whose loudness is
already known (tags, or the chair's loudness cache) are also checked against the level model:
each that lowers the session's level, and by how much, is named (docs/audio.md).

--analyze also listens to every file for a spoken voice (the optional voice scan,
``library.voice_scan``): where one speaks is a warning (an error with ``voice_scan: error``),
and a file that could not be checked says so. Answers are cached in <data_dir>/voice-cache.json.

Exit status: 0 when every playlist is valid (warnings allowed), 1 when any is invalid,
2 on a usage error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from player.audio.session_levels import playlist_level_notes
from player.errors import PlaylistInvalid
from player.playlist.model import Diagnostic
from player.playlist.validate import check_playlist, has_errors, load_playlist
from player.playlist.voice_check import tracks_to_scan, voice_diagnostics

NAME = "check"
HELP = "validate playlists (errors and warnings as FILE:LINE)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlists", nargs="+", metavar="PLAYLIST", type=Path, help="playlist YAML file(s)")
    parser.add_argument("--analyze", action="store_true",
                        help="also listen to every file for a spoken voice (slow the first time)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings or summary")


def run(args: argparse.Namespace) -> int:
    invalid = 0
    listen = _listener(args) if args.analyze else None
    for path in args.playlists:
        diagnostics = check_playlist(path)
        if listen is not None and not has_errors(diagnostics):
            diagnostics = sorted(diagnostics + listen(path), key=lambda d: d.line)
        errors = sum(d.severity == "error" for d in diagnostics)
        warnings = len(diagnostics) - errors
        for d in diagnostics:
            if d.severity == "error" or not args.quiet:
                print(d)
        if has_errors(diagnostics):
            invalid += 1
        elif not args.quiet:
            for note in _level_notes(path, args):
                print(f"{path}: level: {note}")
        if not args.quiet:
            verdict = "invalid" if errors else "valid"
            print(f"{path}: {verdict} ({_count(errors, 'error')}, {_count(warnings, 'warning')})")
    return 1 if invalid else 0


def _listener(args: argparse.Namespace) -> Callable[[Path], list[Diagnostic]] | None:
    """What --analyze adds to a valid playlist's diagnostics (None when ``library.voice_scan: off``)."""
    from player.audio.voice_cache import voice_lookup
    from player.config import load_config

    config = load_config(args.config)
    mode = config.library.voice_scan
    if mode == "off":
        return None
    lookup = voice_lookup(config.data_dir)

    def listen(path: Path) -> list[Diagnostic]:
        playlist = load_playlist(path, probe=False)
        scans = lookup.scan_all(t.path for t in tracks_to_scan(playlist))
        return voice_diagnostics(playlist, scans, mode, file=str(path))
    return listen


def _level_notes(path: Path, args: argparse.Namespace) -> list[str]:
    try:
        return playlist_level_notes(load_playlist(path), getattr(args, "config", None))
    except PlaylistInvalid:
        return []


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
