"""Import playlists from a USB stick (or a folder laid out like one) into the library.

PATH holds session-player/playlists/*.yaml with their audio files beside them. Every
playlist is validated like `check`; only files the valid playlists name are copied,
verified by SHA-256, and swapped in as a new library generation at once (the previous one
is kept for `session-player library rollback`). While a session is running the import is
staged and applied when the session ends. Anything unsafe or invalid is refused with one
line saying what and why; the report is also written to session-player/import-report.txt
and .json on the stick (every name escaped, e.g. a byte that is not UTF-8 as \\xff).

Exit 0 when nothing was refused; 1 when something was refused or the import failed
(PATH missing, stick pulled: the library is then unchanged); 3 when the import finished
but its report could not be printed or written onto the stick (the library did change).
"""

from __future__ import annotations

import argparse
import logging

from player.config import load_config
from player.errors import ImportRefused
from player.usb.importer import import_stick, write_stick_report
from player.usb.plan import printable, render_text
from player.usb.status import StatusReporter

NAME = "import"
EXIT_REPORT_FAILED = 3
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
    try:  # the library may have switched by now: nothing below may turn that into a crash
        print(render_text(report), end="")
        if not args.dry_run:
            write_stick_report(args.path, report)
    except Exception as exc:  # noqa: BLE001 - reported in one line, with its own exit code
        log.error("the import finished (%s) but its report could not be written: %s", report["result"],
                  printable(str(exc)))
        return EXIT_REPORT_FAILED
    return 1 if report["refusals"] else 0
