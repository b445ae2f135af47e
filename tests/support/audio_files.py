"""Small real audio files for playlist tests, and the shipped playlists beside a demo library.

Files are silent and low-rate (8 kHz mono) so a 40 s track costs a few kilobytes; only
their headers matter to the validator. The demo library is generated once into pytest's
cache directory (the generator skips files already there), so the suite does not pay
for synthesis on every run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from player.demo_audio import generate_demo_library

REPO = Path(__file__).resolve().parents[2]
PLAYLISTS = REPO / "playlists"
_FORMATS = {".flac": ("FLAC", "PCM_16"), ".wav": ("WAV", "PCM_16"), ".ogg": ("OGG", "VORBIS"),
            ".mp3": ("MP3", "MPEG_LAYER_III")}


def write_audio(path: Path, seconds: float, rate: int = 8000, tags: dict[str, str] | None = None) -> Path:
    """Write a silent file of `seconds` (format from the suffix); `tags` are Vorbis comments (FLAC)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt, subtype = _FORMATS[path.suffix]
    frames, block = int(seconds * rate), 5 * rate
    # In blocks: one huge Vorbis write crashes libsndfile 1.2 (segfault, measured).
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, format=fmt, subtype=subtype) as f:
        for first in range(0, frames, block):
            f.write(np.zeros(min(block, frames - first), dtype=np.float32))
    if tags:
        from mutagen.flac import FLAC

        audio = FLAC(path)
        for key, value in tags.items():
            audio[key] = value
        audio.save()
    return path


def shipped_playlists(cache_dir: Path) -> list[Path]:
    """Copies of playlists/*.yaml in `cache_dir`, beside a generated demo-audio library."""
    generate_demo_library(cache_dir / "demo-audio")
    copies = []
    for source in sorted(PLAYLISTS.glob("*.yaml")):
        target = cache_dir / source.name
        shutil.copyfile(source, target)
        copies.append(target)
    return copies


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link when possible (same filesystem), else a copy: never a symlink."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def make_clinic(tmp_path: Path) -> Path:
    """A playlist folder (tmp_path/clinic) holding music/: a.flac 40 s, b.flac 50 s, c.wav 45 s,
    short.flac 12 s, tiny.flac 0.5 s, hi.flac 40 s at 16 kHz, vocal.flac (LYRICS tag), feat.flac
    (title 'Song (feat. Someone)'), notes.txt and broken.flac (not audio); and linked/ with
    symlinks that lead outside the folder (escape.flac, outdir/)."""
    root = tmp_path / "clinic"
    m = root / "music"
    write_audio(m / "a.flac", 40)
    write_audio(m / "b.flac", 50)
    write_audio(m / "c.wav", 45)
    write_audio(m / "short.flac", 12)
    write_audio(m / "tiny.flac", 0.5)
    write_audio(m / "hi.flac", 40, rate=16000)
    write_audio(m / "vocal.flac", 40, tags={"LYRICS": "la la la"})
    write_audio(m / "feat.flac", 40, tags={"TITLE": "Song (feat. Someone)"})
    (m / "notes.txt").write_text("not music\n")
    (m / "broken.flac").write_bytes(b"fLaC" + b"\x00garbage" * 20)
    outside = write_audio(tmp_path / "elsewhere" / "x.flac", 40)
    (root / "linked").mkdir()
    (root / "linked" / "escape.flac").symlink_to(outside)
    (root / "linked" / "outdir").symlink_to(outside.parent, target_is_directory=True)
    return root

