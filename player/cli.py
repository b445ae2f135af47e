"""The `session-player` command line: one module per subcommand under player/commands/.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; a module for a family of alike commands (the session controls)
defines ``SUBCOMMANDS`` instead, a list of objects with those four attributes. Expected failures (`PlayerError`) print
``session-player: error: message`` and exit 1; a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from player import __version__
from player.config import DEFAULT_CONFIG_PATH
from player.errors import PlayerError

# Order here is the order in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "run",
    "status",
    "controls",
    "observe",
    "calmer",
    "sessions",
    "report",
    "music_feedback",
    "check",
    "plan",
    "demo_audio",
    "config_cmd",
    "analyze",
    "web_token",
    "station",
    "station_token",
    "import_cmd",
    "export",
    "library",
    "playlists",
    "sign",
    "usb_run",
    "hw_test",
    "doctor",
    "devices",
    "bluetooth",
    "calibrate",
)

PROG = "session-player"


def command_specs() -> list:
    """Every subcommand (a module, or an entry of a module's SUBCOMMANDS), in --help order."""
    specs = []
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"player.commands.{name}")
        specs.extend(getattr(module, "SUBCOMMANDS", None) or [module])
    return specs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Plays a treatment session's music by phases: silent starts, dB-linear fades, "
        "equal-power crossfades, a hard volume cap, and a durable record of every phase and staff action.",
        epilog=f"Run '{PROG} COMMAND --help' for one command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", default=None,
                        help=f"config file (default {DEFAULT_CONFIG_PATH}; all defaults if absent)")
    common.add_argument("--debug", action="store_true", help="verbose logging and tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for spec in command_specs():
        cmd = sub.add_parser(spec.NAME, help=spec.HELP, description=getattr(spec, "DESCRIPTION", spec.__doc__),
                             parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter)
        spec.add_arguments(cmd)
        cmd.set_defaults(run=spec.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args) or 0)
    except PlayerError as exc:
        if args.debug:
            raise
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
