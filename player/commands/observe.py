"""Staff at the chair side: acknowledge a due checkpoint, record an observation (over the control socket).

``ack [TEXT]`` acknowledges the oldest due checkpoint (or the oldest whose text starts with
TEXT). ``observe KIND VALUE... [--note TEXT]`` records bp 128/82, hr 72, spo2 97, rr 14,
sedation N, nausea 0-10, dizziness 0-10, grogginess 0-10, note TEXT (or a kind from
``session.observation_kinds``); a value outside its plausible range is refused (exit 1)
and nothing is recorded. An observation also acknowledges the oldest due checkpoint whose
text starts with its label (BP, HR, ...). Never patient identifiers.
"""

from __future__ import annotations

import argparse

from player.commands.controls import Control


def _add_ack(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="*", help="the start of the checkpoint's text (default: the oldest due one)")


def _add_observe(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", help="bp, hr, spo2, rr, sedation, nausea, dizziness, grogginess, note "
                                        "(or a kind the config adds)")
    parser.add_argument("value", nargs="+", help="e.g. 128/82 for bp, 72 for hr; a note's text")
    parser.add_argument("--note", help="a short note with it (one line, no patient names)")


def _ack_args(args: argparse.Namespace) -> dict:
    text = " ".join(args.text).strip()
    return {"text": text} if text else {}


def _observe_args(args: argparse.Namespace) -> dict:
    request = {"kind": args.kind, "value": " ".join(args.value)}
    if args.note is not None:
        request["note"] = args.note
    return request


SUBCOMMANDS = [
    Control("ack", "acknowledge a due checkpoint (the oldest, or the one whose text starts with TEXT)", "ack",
            _add_ack, _ack_args),
    Control("observe", "record an observation: bp 128/82, hr 72, spo2 97, rr 14, sedation N, nausea 0-10, "
                       "dizziness 0-10, grogginess 0-10, note TEXT",
            "observe", _add_observe, _observe_args),
]
