"""Handle a plugged USB stick partition (run by systemd/session-player-usb@.service).

Mounts DEVICE read-only (nosuid,nodev,noexec) in a private folder, imports its playlists
(read, parsed and probed by a child process running as --user with no capabilities),
exports reports when session-player/EXPORT is on it, writes the import report onto the
stick (mounted read-write only for that), syncs and unmounts. Needs root. Exit codes as
for `import`: 0, 1 (refusals or a failed import), 3 (imported, but the stick was not written).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from player.commands.import_cmd import EXIT_REPORT_FAILED
from player.config import load_config
from player.usb.plan import render_text
from player.usb.runner import MOUNT_ROOT, run_device
from player.usb.sandbox import SERVICE_USER

NAME = "usb-run"
HELP = "mount a stick partition, import from it (and export to it), unmount"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("device", metavar="DEVICE", help="partition, e.g. /dev/sda1")
    parser.add_argument("--mount-root", type=Path, default=MOUNT_ROOT,
                        help=f"private mount folder (default {MOUNT_ROOT})")
    parser.add_argument("--user", default=SERVICE_USER,
                        help=f"the unprivileged user that reads and checks the stick (default {SERVICE_USER})")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    report = run_device(args.device, config, mount_root=args.mount_root, user=args.user)
    print(render_text(report), end="")
    if report.get("report_error"):
        return EXIT_REPORT_FAILED
    return 1 if report["refusals"] else 0
