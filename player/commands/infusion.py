"""`session-player infusion start|end`: record when the infusion started or ended, as staff saw it.

Checkpoints with ``after: infusion_start`` / ``after: infusion_end`` count from these times,
repeats ``until: infusion_end`` stop at the end, and a phase with ``until: infusion_end + 60m``
lasts at least until an hour after it (player/core/infusion.py). Refused with the reason when
it makes no sense: no session running, a second start, an end before the start, a second end.
"""

from __future__ import annotations

import argparse

from player.commands.controls import Control

HELP = "record the infusion's start or end (anchored checkpoints and the recovery hour count from it)"


def _add(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event", choices=("start", "end"), help="start: the infusion began now; end: it ended now")


SUBCOMMANDS = [Control("infusion", HELP, "infusion", _add, lambda args: {"event": args.event})]
