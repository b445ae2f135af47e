"""Check what breaks a chair in the field, and print the fix for each problem found.

Run it as root (sudo session-player doctor): the audio device and the pin factory are then
tried as the service's user, in the service's working directory, as the daemon will use
them; the person running sudo is checked for the session-player group. Run as another
user, the probes run as that user (each check says who). --json prints
[{"check", "ok", "detail", "fix"}, ...]. Exit 0 when every check passes, 1 otherwise.

Checks: the config; the audio device takes two streams at once (every crossfade needs two;
a failing device gets the working alternatives found on this machine); the pin factory
loads from the service's working directory as its user; the service user's groups; the
admin in the session-player group; the data folder and the unit's writable paths; ffmpeg;
how many library tracks are measured for loudness; the default playlist; the clock
synchronized; free space; the web page's address and token file.
"""

from __future__ import annotations

import argparse
import json

from player.config import DEFAULT_CONFIG_PATH, Config, load_config
from player.doctor import DoctorContext, System, run_checks
from player.doctor.bluetooth import checks_for
from player.doctor.unit import installed_unit
from player.errors import ConfigInvalid

NAME = "doctor"
HELP = "check the audio device, GPIO, groups, clock, disk, config... and print a fix for each problem"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help='print [{"check", "ok", "detail", "fix"}, ...]')


def build_context(config_arg: str | None) -> DoctorContext:
    """The config (its defaults, and the error, when the file is invalid) and the installed unit."""
    path = str(config_arg or DEFAULT_CONFIG_PATH)
    try:
        config, error = load_config(config_arg), None
    except ConfigInvalid as exc:
        config, error = Config(source=path), str(exc)
    unit_path, unit = installed_unit()
    return DoctorContext(config, path, error, unit_path, unit)


def format_results(results: list, identity: str, config_path: str) -> str:
    lines = [f"session-player doctor: probes run as {identity}; config {config_path}"]
    for r in results:
        lines.append(f"  {'ok  ' if r.ok else 'FAIL'}  {r.check:<17} {r.detail}")
        if r.fix:
            lines.append(f"  {'':4}  {'':<17} {'fix' if not r.ok else 'note'}: {r.fix}")
    bad = [r for r in results if not r.ok]
    lines.append(f"{len(results) - len(bad)} of {len(results)} checks passed"
                 + (f"; fix the {len(bad)} marked FAIL and run the doctor again" if bad else ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    ctx = build_context(args.config)
    system = System()
    results = run_checks(ctx, system, checks_for(ctx))
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print(format_results(results, system.identity, ctx.config_path))
    return 0 if all(r.ok for r in results) else 1
