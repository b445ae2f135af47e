"""Show the music library's generations, or roll back to the previous one.

Each import makes a new generation; `current` is what sessions play, `previous` is kept
so that `rollback` can restore it at once (run rollback again to undo it), and `pending`
is an import staged while a session ran, applied when it ends. Rollback is refused while
a session is running.
"""

from __future__ import annotations

import argparse

from player.config import load_config
from player.usb.library import generations, rollback
from player.usb.plan import printable, warning_lines

NAME = "library"
HELP = "list library generations or roll back the last import"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("list", "rollback"), help="list generations, or roll back")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.action == "rollback":
        name = rollback(config)
        print(f"library rolled back: current is now {name}")
        return 0
    rows = generations(config.data_dir)
    if not rows:
        print(f"no library in {config.data_dir} yet: import a stick with 'session-player import PATH'")
    for row in rows:
        links = ",".join(row["links"]) or "-"
        print(f"{row['name']}  {links:16} {row['time'] or '?':25} {row['files']:5d} files  "
              f"{', '.join(row['playlists'])}")
        for line in [f"REFUSED {r['subject']}: {r['reason']}" for r in row["refusals"]] \
                + warning_lines(row["warnings"]):
            print("    " + printable(line))  # what the stick's import report said, every error and warning
    return 0
