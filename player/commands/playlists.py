"""List the imported library's playlists, to choose one at the chair.

Each playlist's name (what ``session-player start NAME`` and the web page's Start take),
its title, planned length, phases, checkpoints, whether it has calmer music, and whether
it is valid (else its first error, FILE:LINE). Reads the library under the data folder,
so it works whether or not the daemon runs.

--json prints {"playlists": [{"name", "title", "duration_s", "phases", "checkpoints",
"calmer", "valid", "error", "warnings", "voice"}]}; "voice" lists the files to listen to: where the
import heard a spoken voice ({"file", "ranges": [[start_s, end_s]], "checked": true}) or files
it could not check ("checked": false, "reason"). Exit status: 0 (also when some are invalid).
"""

from __future__ import annotations

import argparse
import json

from player.audio.voice_ranges import describe_ranges
from player.config import load_config
from player.durations import format_duration
from player.playlist.library import library_playlists, voice_heard
from player.playlist.summary import summarize_library

NAME = "playlists"
HELP = "list the imported playlists (length, phases, checkpoints, valid or not)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    rows = summarize_library(library_playlists(config.data_dir), config.library.voice_scan, voice_heard)
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
        lines += [f"    {voice_line(v)}" for v in row.get("voice", ())]
    return lines


def voice_line(row: dict) -> str:
    """``onset/02 Ocean.mp3: spoken voice 0:12-0:40`` or ``...: not checked for a spoken voice (why)``."""
    if not row["checked"]:
        return f"{row['file']}: not checked for a spoken voice ({row['reason']})"
    return f"{row['file']}: spoken voice {describe_ranges(row['ranges'])}"
