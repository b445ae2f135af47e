"""Find the files a phase's track entries name, refusing anything outside the playlist's folder.

A playlist and its music travel together (a folder on a USB stick), so a track may only
name files inside the playlist's folder: no absolute paths, no ``..`` (refused by
`parse.path_problem`) and no symlink that leads out (checked here on the real path). The
USB import relies on this. Globs expand in natural order (``2 calm`` before ``10 calm``)
and skip hidden files such as macOS's ``._track.flac``.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

from player.playlist.parse import Collector, EntrySpec
from player.suggest import did_you_mean

_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class Found:
    """One file an entry named; `by_glob` files that are not audio are skipped, not refused."""

    path: Path
    relative: str
    entry: EntrySpec
    by_glob: bool


def natural_key(text: str) -> list:
    """Sort key that orders embedded numbers by value, case-insensitively."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", text) if part]


def is_inside(path: Path | str, folder_real: str) -> bool:
    """True when `path`, with every symlink followed, is `folder_real` or below it."""
    real = os.path.realpath(path)
    try:
        return os.path.commonpath([real, folder_real]) == folder_real
    except ValueError:
        return False


def resolve_entry(base: Path, entry: EntrySpec, out: Collector) -> list[Found]:
    """Files for one entry, reporting missing files, empty globs and escaping symlinks."""
    base_real = os.path.realpath(base)
    if _MAGIC.search(entry.pattern) and not (base / entry.pattern).exists():
        return _expand_glob(base, base_real, entry, out)
    candidate = base / entry.pattern
    if not is_inside(candidate, base_real):
        out.error(entry.line, f"{entry.pattern} is a link to a place outside the playlist's folder")
        return []
    if candidate.is_dir():
        folder = entry.pattern.rstrip("/")
        out.error(entry.line, f"{entry.pattern} is a folder; write {folder}/* to play every file in it")
        return []
    if not candidate.is_file():
        out.error(entry.line, f"file not found: {entry.pattern}{_nearby(candidate, base_real)}")
        return []
    return [Found(Path(os.path.abspath(candidate)), entry.pattern, entry, by_glob=False)]


def _expand_glob(base: Path, base_real: str, entry: EntrySpec, out: Collector) -> list[Found]:
    matches = sorted(glob.glob(entry.pattern, root_dir=base, recursive=True), key=natural_key)
    found = []
    for rel in matches:
        candidate = base / rel
        if not is_inside(candidate, base_real):
            out.error(entry.line, f"{rel} (matched by {entry.pattern}) is a link to a place outside "
                      "the playlist's folder")
        elif candidate.is_file():
            found.append(Found(Path(os.path.abspath(candidate)), Path(rel).as_posix(), entry, by_glob=True))
    if not matches:
        out.error(entry.line, f"no files match {entry.pattern}")
    elif not found and not any(d.line == entry.line and d.severity == "error" for d in out.items):
        out.error(entry.line, f"{entry.pattern} matches only folders, no files")
    return found


def _nearby(candidate: Path, base_real: str) -> str:
    """A did-you-mean from the files beside the missing one (typos, wrong extension)."""
    folder = candidate.parent
    if not folder.is_dir():
        return f" (folder {folder.name!r} does not exist)" if folder.name else ""
    if not is_inside(folder, base_real):
        return ""
    try:
        names = [e.name for e in os.scandir(folder) if not e.name.startswith(".")][:2000]
    except OSError:
        return ""
    return did_you_mean(candidate.name, names, max_distance=4)
