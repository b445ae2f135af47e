"""Show the loudness of audio files and the normalization gain the player will apply.

For each FILE: integrated loudness (LUFS), peak (dBTP measured, or the tag's sample peak),
where the figures come from (ReplayGain/R128 tags, or measured by ffmpeg's ebur128), and
the gain towards loudness.target_lufs, lowered so the peak stays under
loudness.max_true_peak_db. Measurements are cached in <data_dir>/loudness-cache.json when
that directory is writable.

Each file is also listened to for a spoken voice (``library.voice_scan``, the optional
``voice`` extra): where speech-like audio is, "no spoken voice heard", or why it could not be
checked; cached in <data_dir>/voice-cache.json. --json adds "voice": {"checked", "ranges",
"reason"}.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from player.audio.loudness import LoudnessLookup, as_dict
from player.audio.voice_cache import voice_lookup
from player.config import load_config
from player.errors import AudioFailed

NAME = "analyze"
HELP = "print loudness, peak and the normalization gain of audio files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="audio files")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    cache = config.data_dir / "loudness-cache.json"
    writable = config.data_dir.is_dir() and os.access(config.data_dir, os.W_OK)
    lookup = LoudnessLookup(config.loudness, cache if writable else None)
    voice = voice_lookup(config.data_dir) if config.library.voice_scan != "off" else None
    failed = 0
    if not args.json:
        print(f"target {config.loudness.target_lufs:g} LUFS, peak ceiling {config.loudness.max_true_peak_db:g} dBTP")
    for path in args.files:
        if not path.is_file():
            print(f"{path}: error: no such file")
            failed += 1
            continue
        try:
            result = lookup.analyze(path)
        except AudioFailed as exc:
            print(f"error: {exc}")
            failed += 1
            continue
        heard = voice.scan(path) if voice is not None else None
        if args.json:
            print(json.dumps({"file": str(path), **as_dict(result)}
                             | ({"voice": heard.as_dict()} if heard is not None else {})))
        else:
            print(f"{path}: {result.loudness_lufs:6.1f} LUFS  peak {result.peak_db:5.1f} dB  "
                  f"gain {result.gain_db:+5.1f} dB  ({result.source})")
            if heard is not None:
                print(f"    {heard.describe()}")
    if failed:
        raise AudioFailed(f"{failed} of {len(args.files)} file(s) could not be analyzed")
    return 0
