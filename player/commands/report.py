"""Print or save one session's report: planned vs actual phase times, pauses, extensions,
markers, staff actions, tracks played and skipped, faults, and the volume cap in force.

--format html writes one self-contained page a nurse can read and print (a timeline bar of
planned vs actual phases with markers); csv and json are for records. Reads the durable
event log directly, so it works whether or not the daemon runs.
"""

from __future__ import annotations

import argparse
import sys

from player.config import load_config
from player.errors import PlayerError
from player.fsutil import NotRegularFile, atomic_write_text, check_replaceable
from player.reports.report import REPORT_FORMATS, build_report, render_report

NAME = "report"
HELP = "print or save a session's report (json, csv or html)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session_id", metavar="SESSION_ID", help="as listed by 'session-player sessions'")
    parser.add_argument("--format", choices=REPORT_FORMATS, default="json", help="default json")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (atomically) instead of stdout; FILE must be new or a regular file")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    text = render_report(build_report(config.data_dir, args.session_id), args.format, config.take_home)
    if args.output:
        _write(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _write(output: str, text: str) -> None:
    """Write atomically onto a new name or a regular file; never replace a device, FIFO or link."""
    try:
        check_replaceable(output)
        atomic_write_text(output, text)
    except NotRegularFile as exc:
        raise PlayerError(f"will not replace {output}: it is {exc.what}; -o writes a new file or "
                          "replaces a regular one") from None
    except OSError as exc:
        raise PlayerError(f"cannot write {output}: {exc.strerror or exc}") from None
