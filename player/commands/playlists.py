"""List the imported library's playlists, to choose one at the chair.

Each playlist's name (what ``session-player start NAME`` and the web page's Start take),
its title, planned length, phases, checkpoints, whether it has calmer music, and whether
it is valid (else its first error, FILE:LINE). Reads the library under the data folder,
so it works whether or not the daemon runs.

--json prints {"playlists": [{"name", "title", "duration_s", "phases", "checkpoints",
"calmer", "valid", "error", "warnings"}]}. Exit status: 0 (also when some are invalid).
"""

from __future__ import annotations

import argparse
import json

from player.config import load_config
from player.durations import format_duration
from player.playlist.library import library_playlists
from player.playlist.summary import summarize_library

NAME = "playlists"
HELP = "list the imported playlists (length, phases, checkpoints, valid or not)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    rows = summarize_library(library_playlists(config.data_dir))
    if args.json:
        print(json.dumps({"playlists": rows}, indent=2, ensure_ascii=False))
    elif not rows:
        print(f"no playlists in the library in {config.data_dir} yet: import a stick with "
              "'session-player import PATH'")
    else:
        print("\n".join(render_rows(rows)))
    return 0


def render_rows(rows: list[dict]) -> list[str]:
    """One line per playlist (and its first error under an invalid one)."""
    lines = []
    for row in rows:
        if not row["valid"]:
            lines += [f"{row['name']}  INVALID", f"    {row['error']}"]
            continue
        extras = [f"{row['checkpoints']} checkpoint(s)"] + (["calmer music"] if row["calmer"] else [])
        lines.append(f"{row['name']}  {row['title']}  {format_duration(row['duration_s'])}  "
                     f"{len(row['phases'])} phase(s): {', '.join(row['phases'])}; {', '.join(extras)}")
    return lines
