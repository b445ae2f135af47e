"""Check playlists before a session: every error and warning, each as FILE:LINE.

Errors (missing or unreadable files, unknown keys, bad durations, paths leaving the
playlist's folder ...) make a playlist invalid. Warnings point at what a clinician should
look at (tracks that may have vocals, phases whose tracks will loop, short tracks at peak,
mixed sample rates) but do not stop a session. A valid playlist's tracks whose loudness is
already known (tags, or the chair's loudness cache) are also checked against the level model:
each that lowers the session's level, and by how much, is named (docs/audio.md).

Exit status: 0 when every playlist is valid (warnings allowed), 1 when any is invalid,
2 on a usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from player.audio.session_levels import playlist_level_notes
from player.errors import PlaylistInvalid
from player.playlist.validate import check_playlist, has_errors, load_playlist

NAME = "check"
HELP = "validate playlists (errors and warnings as FILE:LINE)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlists", nargs="+", metavar="PLAYLIST", type=Path, help="playlist YAML file(s)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings or summary")


def run(args: argparse.Namespace) -> int:
    invalid = 0
    for path in args.playlists:
        diagnostics = check_playlist(path)
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


def _level_notes(path: Path, args: argparse.Namespace) -> list[str]:
    try:
        return playlist_level_notes(load_playlist(path), getattr(args, "config", None))
    except PlaylistInvalid:
        return []


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
