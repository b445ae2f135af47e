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

#: Every command's name and the module (under player/commands/) that defines it, in --help order.
#: Written out rather than found by importing every module: a run imports only its own command's
#: module, so the daemon (`run`) does not carry the USB importer, the doctor, the reports or the
#: Bluetooth code's asyncio for as long as it lives (docs/technician.md, "CPU budget": about 5 MB
#: of RSS). tests/test_cli_help.py holds this table to the modules' own NAMEs.
COMMANDS: dict[str, str] = {
    "demo": "demo", "run": "run", "status": "status",
    "start": "controls", "pause": "controls", "resume": "controls", "next": "controls", "advance": "controls",
    "extend": "controls", "mark": "controls", "volume": "controls", "stop": "controls",
    "emergency-stop": "controls",
    "ack": "observe", "observe": "observe", "calmer": "calmer", "infusion": "infusion", "sessions": "sessions",
    "report": "report", "feedback": "music_feedback", "music-feedback": "music_feedback", "check": "check",
    "plan": "plan", "demo-audio": "demo_audio", "config": "config_cmd", "analyze": "analyze",
    "web-token": "web_token", "station": "station", "station-token": "station_token", "import": "import_cmd",
    "export": "export", "library": "library", "playlists": "playlists", "sign": "sign", "usb-run": "usb_run",
    "hw-test": "hw_test", "doctor": "doctor", "devices": "devices", "bluetooth": "bluetooth",
    "calibrate": "calibrate",
}

PROG = "session-player"


def command_specs(only: str | None = None) -> list:
    """Every subcommand (a module, or an entry of a module's SUBCOMMANDS), in --help order.

    With `only`, just that command's spec: only its module is imported.
    """
    modules = [COMMANDS[only]] if only in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    specs = []
    for name in modules:
        module = importlib.import_module(f"player.commands.{name}")
        specs.extend(getattr(module, "SUBCOMMANDS", None) or [module])
    return [spec for spec in specs if only not in COMMANDS or only == spec.NAME]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command's, or with `only` (a command's name) just that one's."""
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
    for spec in command_specs(only):
        cmd = sub.add_parser(spec.NAME, help=spec.HELP, description=getattr(spec, "DESCRIPTION", spec.__doc__),
                             parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter)
        spec.add_arguments(cmd)
        cmd.set_defaults(run=spec.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    named = next((arg for arg in argv if not arg.startswith("-")), None)   # the command: options come after it
    parser = build_parser(only=named)
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
