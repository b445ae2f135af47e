#!/usr/bin/env python3
"""USB import figures: throughput of a verified, atomic import vs `cp -r`, and validating 500 playlists.

    python bench/usb_import.py [--size-mb 1024] [--playlists 500] [--tmp DIR]

Both runs happen here, on the same files and disk:
- import: `import_stick` (scan, validate twice, copy with SHA-256, fsync every file, drop
  its cache pages and read it back from disk to verify, swap the generation) of a
  stick-shaped folder holding `--size-mb` of WAV noise in 32 MB files, vs plain
  `cp -r` of the same folder (no hashing, no fsync). Ratio = cp time / import time
  (goal >= 0.8). `cp -r` + `sync` of the destination file system is printed too.
- validation: a dry-run import of a stick with `--playlists` playlists (each naming four
  of 20 small FLAC files), i.e. both validation passes, vs `load_playlist` called on each
  playlist once (the validator alone).
The source files were just written, so both sides read them from the page cache.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from player.config import config_from_mapping
from player.playlist.validate import load_playlist
from player.usb.importer import import_stick
from player.usb.status import StatusReporter

FILE_MB = 32


def make_big_stick(root: Path, size_mb: int) -> int:
    folder = root / "session-player" / "playlists"
    (folder / "music").mkdir(parents=True)
    rate, seconds = 48000, FILE_MB * 1e6 / (48000 * 2 * 2)
    rng = np.random.default_rng(1)
    first = folder / "music" / "track-000.wav"
    sf.write(first, (rng.standard_normal((int(rate * seconds), 2)) * 0.05).astype(np.float32), rate,
             subtype="PCM_16")
    count = max(1, size_mb // FILE_MB)
    for i in range(1, count):
        shutil.copyfile(first, folder / "music" / f"track-{i:03d}.wav")
    for p in range(4):
        tracks = "\n".join(f"      - music/track-{i:03d}.wav" for i in range(p, count, 4))
        (folder / f"list-{p}.yaml").write_text(
            f"name: Bench {p}\ncrossfade: 8s\nphases:\n  - name: peak\n    duration: 20m\n    tracks:\n{tracks}\n")
    return sum(f.stat().st_size for f in (folder / "music").iterdir())


def make_many_playlists(root: Path, n: int) -> list[Path]:
    folder = root / "session-player" / "playlists"
    (folder / "music").mkdir(parents=True)
    for i in range(20):
        sf.write(folder / "music" / f"t{i:02d}.flac", np.zeros(8000 * 30, dtype=np.float32), 8000)
    paths = []
    for p in range(n):
        tracks = ", ".join(f"music/t{(p + k) % 20:02d}.flac" for k in range(4))
        path = folder / f"p{p:03d}.yaml"
        path.write_text(f"name: P{p}\ncrossfade: 4s\nphases:\n  - name: settling\n    duration: 10m\n"
                        f"    tracks: [{tracks}]\n  - name: peak\n    duration: 20m\n    tracks: [music/*.flac]\n")
        paths.append(path)
    return paths


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--playlists", type=int, default=500)
    parser.add_argument("--tmp", type=Path, default=None, help="where to build the test files (default: $TMPDIR)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="usb-bench-") as tmp:
        tmp = Path(tmp)
        print(f"building a {args.size_mb} MB stick in {tmp} ...", file=sys.stderr)
        total = make_big_stick(tmp / "stick", args.size_mb)
        config = config_from_mapping({"data_dir": str(tmp / "data"), "usb": {"reserve_bytes": 0}})

        t_cp, _ = timed(lambda: subprocess.run(["cp", "-r", str(tmp / "stick"), str(tmp / "cp-copy")], check=True))
        t_sync, _ = timed(lambda: subprocess.run(["sync", "-f", str(tmp / "cp-copy")], check=True))
        shutil.rmtree(tmp / "cp-copy")
        t_imp, report = timed(lambda: import_stick(tmp / "stick", config, status=StatusReporter(None)))
        assert report["result"] == "imported", report
        mb = total / 1e6
        print(f"library: {report['files']} files, {mb:.0f} MB")
        print(f"cp -r:              {t_cp:7.2f} s  {mb / t_cp:7.1f} MB/s")
        print(f"cp -r + sync:       {t_cp + t_sync:7.2f} s  {mb / (t_cp + t_sync):7.1f} MB/s")
        print(f"import (verified):  {t_imp:7.2f} s  {mb / t_imp:7.1f} MB/s")
        print(f"ratio import/cp -r: {t_cp / t_imp:.2f}x   (goal >= 0.8x)")
        print(f"ratio import/(cp -r + sync): {(t_cp + t_sync) / t_imp:.2f}x")
        shutil.rmtree(tmp / "stick")
        shutil.rmtree(tmp / "data")

        paths = make_many_playlists(tmp / "many", args.playlists)
        t_val, _ = timed(lambda: [load_playlist(p) for p in paths])
        t_dry, report = timed(lambda: import_stick(tmp / "many", config, dry_run=True, status=StatusReporter(None)))
        assert len(report["accepted"]) == args.playlists, report["refusals"][:3]
        print(f"validate {args.playlists} playlists: load_playlist each {t_val:.2f} s; "
              f"dry-run import (both passes + scan) {t_dry:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
