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
from player.fsutil import atomic_write_text
from player.session.report import REPORT_FORMATS, build_report, render_report

NAME = "report"
HELP = "print or save a session's report (json, csv or html)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session_id", metavar="SESSION_ID", help="as listed by 'session-player sessions'")
    parser.add_argument("--format", choices=REPORT_FORMATS, default="json", help="default json")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    text = render_report(build_report(config.data_dir, args.session_id), args.format)
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
