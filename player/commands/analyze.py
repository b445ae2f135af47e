"""Show the loudness of audio files and the normalization gain the player will apply.

For each FILE: integrated loudness (LUFS), peak (dBTP measured, or the tag's sample peak),
the gain it needs to reach loudness.target_lufs, the loudest level it can be heard at (dB
relative to the target: the cap, or less where its true peak or loudness.max_boost_db holds
it back), and where the figures come from (ReplayGain/R128 tags, or measured by ffmpeg's
ebur128). --json also gives the short-term maximum and gain_db (the gain at 0 dB, peak-bound).
Then, taking the files as one session, each that cannot be heard as loud as the cap allows and
what it costs ("onset/02.flac is 22 LU below target: the session
plays 3.0 dB quieter to keep it even"; docs/audio.md, "The level model"). Measurements are
cached in <data_dir>/loudness-cache.json when that directory is writable.

Each file is also listened to for a spoken voice (``library.voice_scan``, the optional
``voice`` extra): where speech-like audio is, "no spoken voice heard", or why it could not be
checked; cached in <data_dir>/voice-cache.json. --json adds "voice": {"checked", "ranges",
"reason"}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from player.audio.level_model import LevelLimits
from player.audio.loudness import as_dict
from player.audio.session_levels import level_notes, lookup_for
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
    lookup = lookup_for(config)
    limits = LevelLimits.of(config)
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
            need, reach = limits.need_db(result.level), limits.reach_db(result.level)
            print(f"{path}: {result.loudness_lufs:6.1f} LUFS  peak {result.peak_db:5.1f} dB  "
                  f"gain needed {need:+5.1f} dB  heard up to {min(reach, limits.cap_db):+5.1f} dB  ({result.source})")
            if heard is not None:
                print(f"    {heard.describe()}")
    if not args.json:
        measured = {str(p): p for p in args.files if p.is_file()}
        for note in level_notes(measured, config, lookup=lookup):   # all measured above: from the cache now
            print(note)
    if failed:
        raise AudioFailed(f"{failed} of {len(args.files)} file(s) could not be analyzed")
    return 0
