#!/usr/bin/env python3
"""How long `session-player check` takes on a 500-track playlist, against mutagen alone.

Writes 500 tracks (FLAC, MP3, Ogg, WAV; 44.1 kHz stereo headers, silent, 30-150 s) and a
5-phase playlist naming each file on its own line, then times in the same run:
  - baseline: mutagen.File() on the same 500 files (the probing the validator cannot avoid),
  - check_playlist() in-process (parse + resolve + probe + checks),
  - load_playlist(probe=False) (everything but probing),
  - `session-player check` as a subprocess (includes interpreter start),
  - `session-player --version` as a subprocess (interpreter + CLI import: the fixed cost).
Best of --repeat runs each; files are in the page cache (a warm USB stick is slower).
Run: .venv/bin/python bench/check_500.py [--tracks 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mutagen
import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.playlist.validate import check_playlist, load_playlist  # noqa: E402

FORMATS = (("flac", "FLAC", "PCM_16"), ("mp3", "MP3", "MPEG_LAYER_III"), ("ogg", "OGG", "VORBIS"),
           ("wav", "WAV", "PCM_16"))
PHASES = ("settling", "onset", "peak", "comedown", "recovery")


def make_library(folder: Path, tracks: int) -> list[str]:
    """One encoded file per format and length, copied under 500 names (copying is cheap)."""
    seeds = {}
    for ext, fmt, subtype in FORMATS:
        for seconds in (30, 150):
            path = folder / "seed" / f"{seconds}.{ext}"
            path.parent.mkdir(parents=True, exist_ok=True)
            rate = 44100 if ext != "wav" else 8000  # WAV headers are the same at any rate; keep the files small
            channels = 2 if ext != "wav" else 1
            # Written in 5 s blocks: one huge Vorbis write crashes libsndfile 1.2 (segfault).
            with sf.SoundFile(path, "w", samplerate=rate, channels=channels, format=fmt, subtype=subtype) as f:
                for _ in range(seconds // 5):
                    f.write(np.zeros((5 * rate, channels), dtype=np.float32))
            seeds[(ext, seconds)] = path
    names = []
    for i in range(tracks):
        ext = FORMATS[i % len(FORMATS)][0]
        phase = PHASES[i * len(PHASES) // tracks]
        seconds = 150 if phase == "peak" else 30
        rel = f"music/{phase}/{i:03d} track.{ext}"
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seeds[(ext, seconds)], folder / rel)
        names.append(rel)
    return names


def write_playlist(folder: Path, names: list[str]) -> Path:
    lines = ["name: Bench, 500 tracks", "crossfade: 8s", "phases:"]
    for phase in PHASES:
        lines += [f"  - name: {phase}", "    duration: 30m", "    tracks:"]
        lines += [f"      - \"{n}\"" for n in names if f"/{phase}/" in n]
    path = folder / "bench.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def best(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = make_library(folder, args.tracks)
        playlist = write_playlist(folder, names)
        paths = [folder / n for n in names]

        def check() -> None:
            diagnostics = check_playlist(playlist)
            assert not [d for d in diagnostics if d.severity == "error"], diagnostics[:3]

        t_mutagen = best(args.repeat, lambda: [mutagen.File(p).info.length for p in paths])
        t_check = best(args.repeat, check)
        t_noprobe = best(args.repeat, lambda: load_playlist(playlist, probe=False))
        cli = [sys.executable, "-m", "player.cli"]
        t_cli = best(args.repeat, lambda: subprocess.run([*cli, "check", "-q", str(playlist)], check=True,
                                                         capture_output=True))
        t_version = best(args.repeat, lambda: subprocess.run([*cli, "--version"], check=True, capture_output=True))

    n = args.tracks
    print(f"{n} tracks ({', '.join(f[0] for f in FORMATS)}), {len(PHASES)} phases, best of {args.repeat}")
    print(f"  mutagen.File alone (baseline)     {t_mutagen * 1000:8.1f} ms  {t_mutagen / n * 1000:6.3f} ms/track")
    print(f"  check_playlist (in-process)       {t_check * 1000:8.1f} ms  {t_check / n * 1000:6.3f} ms/track"
          f"  = {t_check / t_mutagen:.2f}x mutagen")
    print(f"  load_playlist(probe=False)        {t_noprobe * 1000:8.1f} ms  {t_noprobe / n * 1000:6.3f} ms/track")
    print(f"  session-player check (process)    {t_cli * 1000:8.1f} ms")
    print(f"  session-player --version (fixed)  {t_version * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
