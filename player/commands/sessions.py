"""List recorded sessions, newest first: id, room, playlist, start, outcome, length, markers, faults."""

from __future__ import annotations

import argparse
import json

from player.config import load_config
from player.durations import format_duration
from player.reports.report import list_sessions

NAME = "sessions"
HELP = "list recorded sessions, newest first"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def run(args: argparse.Namespace) -> int:
    rows = list_sessions(load_config(args.config).data_dir)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no sessions recorded yet")
        return 0
    print(f"{'SESSION':34} {'STARTED':25} {'LENGTH':>8} {'OUTCOME':14} {'MARKS':>5} {'FAULTS':>6}  PLAYLIST")
    for r in rows:
        print(f"{r['id']:34} {str(r['started'] or '-'):25} {format_duration(r['duration_s'] or 0):>8} "
              f"{r['outcome']:14} {r['markers']:>5} {r['faults']:>6}  {r['playlist'] or '-'}")
    return 0
