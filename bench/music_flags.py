#!/usr/bin/env python3
"""Flagging a playlist's tracks for the patient's music preferences: how long it takes.

What the page's intake asks for on every change (debounced 300 ms) and `session-player plan
--avoid` prints: the playlist read without probing, then every file's tags read once and
matched against the items asked (player/reports/music_flags.py). Baseline, in the same run:
`load_playlist` with probing (what `plan` and a start already pay), so the figure is a ratio
to work the player does anyway. Files are small tagged FLACs in a temporary folder (cached by
the OS: the SD card's first read is not measured).
Run: .venv/bin/python bench/music_flags.py [--tracks 60] [--items 8] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.core.music_prefs import SUGGESTED  # noqa: E402
from player.playlist.validate import load_playlist  # noqa: E402
from player.reports.music_flags import playlist_flags  # noqa: E402
from tests.support.audio_files import write_audio  # noqa: E402

GENRES = ("Ambient", "Sacred Choral", "Piano", "New Age", "Classical", "Drone")


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=60)
    parser.add_argument("--items", type=int, default=len(SUGGESTED))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = []
        for i in range(args.tracks):
            name = f"music/t{i:03d}.flac"
            write_audio(root / name, 20.0, tags={"TITLE": f"Track {i}", "ARTIST": "Ensemble",
                                                "GENRE": GENRES[i % len(GENRES)], "COMMENT": "recorded live"})
            names.append(name)
        (root / "p.yaml").write_text("name: Bench\nphases:\n  - name: peak\n    duration: 60m\n    tracks: ["
                                     + ", ".join(names) + "]\n")
        items = list(SUGGESTED[:args.items])
        baseline = _median_ms(lambda: load_playlist(root / "p.yaml"), args.runs)
        flags = _median_ms(lambda: playlist_flags(load_playlist(root / "p.yaml", probe=False), items), args.runs)
        found = len(playlist_flags(load_playlist(root / "p.yaml", probe=False), items))
    print(f"{args.tracks} tracks, {len(items)} items, median of {args.runs}: flags {flags:.1f} ms "
          f"({flags / args.tracks:.2f} ms a track, {found} flags); load_playlist with probing {baseline:.1f} ms; "
          f"ratio {flags / baseline:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
