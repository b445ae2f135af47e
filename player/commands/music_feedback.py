"""Music feedback after a session: enter an answer (``feedback``), and sum them all (``music-feedback``).

``feedback ANSWER --track FILE | --phase NAME [--note TEXT] [--session ID]`` sends the
patient's answer (helped, neutral or unwelcome) about a track heard or a phase of a finished
session (default: the newest that ended) to the daemon, which keeps it in that session's
``music-feedback.jsonl``; answering again about the same track changes the answer (every
answer is kept, the latest counts). ``music-feedback [--json]`` reads every session's
answers (no daemon needed) and prints per track and per phase how often each answer was
given, in how many sessions, and how many notes there are; a damaged file is named on
stderr (exit 1) and everything else is still counted.
"""

from __future__ import annotations

import argparse
import sys

from player.config import load_config
from player.control import send_request
from player.core.music_feedback import ANSWERS, MAX_NOTE_CHARS
from player.errors import PlayerError
from player.reports.feedback import collect, latest_ended, render_json, render_text


class Feedback:
    """``session-player feedback``: one answer, through the daemon (the one writer of the session's records)."""

    NAME = "feedback"
    HELP = "record the patient's music feedback for a finished session: helped, neutral or unwelcome"
    DESCRIPTION = __doc__

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("answer", choices=ANSWERS, help="how the music was for the patient")
        item = parser.add_mutually_exclusive_group(required=True)
        item.add_argument("--track", metavar="FILE", help="the track's file as the report lists it, e.g. peak/b1.flac")
        item.add_argument("--phase", metavar="NAME", help="a whole phase instead of one track")
        parser.add_argument("--note", help=f"the patient's words, one line of at most {MAX_NOTE_CHARS} characters "
                                           "(no names)")
        parser.add_argument("--session", metavar="ID", help="default: the newest session that ended")

    def run(self, args: argparse.Namespace) -> int:
        config = load_config(args.config)
        session = args.session or latest_ended(config.data_dir)
        if session is None:
            raise PlayerError("no session has ended yet; music feedback is about a finished session")
        request: dict = {"action": "feedback", "session": session, "answer": args.answer}
        request.update({k: v for k in ("track", "phase", "note") if (v := getattr(args, k)) is not None})
        send_request(config.client_socket_path, request)
        print(f"recorded for session {session}: {args.track or 'phase ' + args.phase} {args.answer}"
              + (f" ({args.note})" if args.note else ""))
        return 0


class MusicFeedbackExport:
    """``session-player music-feedback``: the answers of every session, summed per track (reads the files)."""

    NAME = "music-feedback"
    HELP = "sum the patients' music feedback per track across sessions (--json for records)"
    DESCRIPTION = __doc__

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="rows, sessions and problems as JSON")

    def run(self, args: argparse.Namespace) -> int:
        summary = collect(load_config(args.config).data_dir)
        sys.stdout.write(render_json(summary) if args.json else render_text(summary))
        for problem in summary["problems"]:
            print(f"session-player: error: {problem}", file=sys.stderr)
        return 1 if summary["problems"] else 0


SUBCOMMANDS = [Feedback(), MusicFeedbackExport()]
