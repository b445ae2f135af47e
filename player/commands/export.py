"""Export session reports to a USB stick: session-player/reports/<room>/<session-id>.*

Writes each session's report as HTML (readable), CSV and JSON (for records) plus the raw
event log, every file atomically (temp, fsync, rename), for the sessions not exported
before (--all: every session). A plugged stick with session-player/EXPORT on it is
exported automatically.
"""

from __future__ import annotations

import argparse

from player.config import load_config
from player.usb.export import export_reports

NAME = "export"
HELP = "write session reports onto a USB stick"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the stick's mount point")
    parser.add_argument("--all", action="store_true", help="export every session, not only new ones")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    written = export_reports(args.path, config.data_dir, all_sessions=args.all)
    for path in written:
        print(path)
    print(f"exported {len(written)} files" if written else "no new sessions to export")
    return 0
