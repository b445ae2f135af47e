"""`session-player calmer [MINUTES | off]`: calmer music now, for a distressed patient, and back.

The phase's ``calmer:`` tracks (else the playlist's) crossfade in now and play for MINUTES,
or until ``calmer off`` or the phase ends; then the plan's music crossfades back. The phase
clock does not change. Refused with the reason when the phase has no calmer music, or the
session is not playing (player/core/calmer.py).
"""

from __future__ import annotations

import argparse

from player.commands.controls import Control

HELP = "play the phase's calmer music now (for MINUTES, or until 'calmer off' or the phase ends)"


def _add(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("minutes", nargs="?", metavar="MINUTES|off",
                        help="how long (minutes, 1 to 240; default: until 'calmer off' or the phase ends), "
                             "or off: back to the plan's music now")


def _args(args: argparse.Namespace) -> dict:
    given = (args.minutes or "").strip().lower()
    if not given:
        return {}
    if given == "off":
        return {"off": True}
    try:
        return {"minutes": float(given)}
    except ValueError:
        raise SystemExit(f"session-player calmer: cannot read {args.minutes!r}: give minutes such as 10, "
                         "or off") from None


SUBCOMMANDS = [Control("calmer", HELP, "calmer", _add, _args)]
