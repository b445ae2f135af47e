"""Check playlists before a session: every error and warning, each as FILE:LINE.

Errors (missing or unreadable files, unknown keys, bad durations, paths leaving the
playlist's folder ...) make a playlist invalid. Warnings point at what a clinician should
look at (tracks that may have vocals, phases whose tracks will loop, short tracks at peak,
mixed sample rates) but do not stop a session.

Exit status: 0 when every playlist is valid (warnings allowed), 1 when any is invalid,
2 on a usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from player.playlist.validate import check_playlist, has_errors

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
        if not args.quiet:
            verdict = "invalid" if errors else "valid"
            print(f"{path}: {verdict} ({_count(errors, 'error')}, {_count(warnings, 'warning')})")
    return 1 if invalid else 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
