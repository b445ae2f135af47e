"""Generate the demo music library: calm synthesized pads, drones and soft tones.

Royalty-free and computed on this machine (nothing large is shipped), in FLAC, Ogg
Vorbis, MP3 and WAV, about six and a half minutes in all. Files already present are
kept, so running it again is quick. playlists/demo.yaml and the templates expect the
library in playlists/demo-audio:

    session-player demo-audio playlists/demo-audio
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "demo-audio"
HELP = "generate the small royalty-free demo music library"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR",
                        help="where to write the library (the shipped playlists use playlists/demo-audio)")


def run(args: argparse.Namespace) -> int:
    from player.demo_audio import DEMO_TRACKS, generate_demo_library  # numpy: only when generating

    existing = sum((args.directory / t.relative).exists() for t in DEMO_TRACKS)
    paths = generate_demo_library(args.directory)
    for path in paths:
        print(path)
    print(f"{len(paths)} demo tracks in {args.directory} ({len(paths) - existing} new)")
    return 0
