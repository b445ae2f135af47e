"""Import playlists from a USB stick (or a folder laid out like one) into the library.

PATH holds session-player/playlists/*.yaml with their audio files beside them. Every
playlist is validated like `check`; only files the valid playlists name are copied,
verified by SHA-256, and swapped in as a new library generation at once (the previous one
is kept for `session-player library rollback`). While a session is running the import is
staged and applied when the session ends. Anything unsafe or invalid is refused with one
line saying what and why; the report is also written to session-player/import-report.txt
and .json on the stick. Exit 0 when nothing was refused, 1 otherwise.
"""

from __future__ import annotations

import argparse
import logging

from player.config import load_config
from player.errors import ImportRefused
from player.usb.importer import import_stick, write_stick_report
from player.usb.plan import render_text
from player.usb.status import StatusReporter

NAME = "import"
HELP = "import playlists and their audio from a USB stick"
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the stick's mount point (or a folder laid out like one)")
    parser.add_argument("--dry-run", action="store_true", help="validate and report only; copy and write nothing")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    status = StatusReporter(None if args.dry_run else config.data_dir)
    try:
        report = import_stick(args.path, config, dry_run=args.dry_run, status=status)
    except OSError as exc:
        raise ImportRefused(f"import from {args.path} failed: {exc}; the library is unchanged") from None
    print(render_text(report), end="")
    if not args.dry_run:
        try:
            write_stick_report(args.path, report)
        except OSError as exc:
            log.warning("could not write the report onto the stick: %s", exc)
    return 1 if report["refusals"] else 0
