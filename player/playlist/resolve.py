"""Find the files a phase's track entries name, refusing anything outside the playlist's folder.

A playlist and its music travel together (a folder on a USB stick), so a track may only
name files inside the playlist's folder: no absolute paths, no ``..`` (refused by
`parse.path_problem`) and no symlink that leads out (checked here on the real path). The
USB import relies on this. Globs expand in natural order (``2 calm`` before ``10 calm``)
and skip hidden files such as macOS's ``._track.flac``.

Globs are walked here, not by `glob.glob`, because its ``**`` follows links to folders:
``a -> .`` beside the music made one pattern walk forever. ``**`` never enters a linked
folder, and one pattern may look at no more than `MAX_GLOB_ENTRIES` names and spend no
more than `MAX_GLOB_S` seconds; a playlist as a whole resolves to at most
`parse.MAX_TRACKS` files.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from player.playlist.parse import MAX_TRACKS, Collector, EntrySpec
from player.suggest import did_you_mean

_MAGIC = re.compile(r"[*?[]")
#: Folder entries one glob may look at (a stick holds at most 10,000 files: usb.max_files).
MAX_GLOB_ENTRIES = 100_000
#: Wall time one glob may take (a slow stick lists about 10,000 names a second).
MAX_GLOB_S = 5.0


class GlobTooBig(Exception):
    """A glob passed one of its limits; the message says which."""


class TrackBudget:
    """How many more track files the playlist may name (`MAX_TRACKS` in all)."""

    def __init__(self, limit: int = MAX_TRACKS) -> None:
        self.limit = limit
        self.left = limit
        self.exceeded = False

    def take(self, found: list[Found], line: int, out: Collector) -> list[Found]:
        if self.exceeded:
            return []
        if len(found) > self.left:
            self.exceeded = True
            out.error(line, f"the playlist names more than {self.limit:,} track files; "
                            f"the limit is {self.limit:,} per playlist")
            return []
        self.left -= len(found)
        return found


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


def resolve_entry(base: Path, entry: EntrySpec, out: Collector, budget: TrackBudget | None = None) -> list[Found]:
    """Files for one entry, reporting missing files, empty globs and escaping symlinks."""
    budget = budget or TrackBudget()
    return budget.take(_resolve(base, entry, out), entry.line, out)


def _resolve(base: Path, entry: EntrySpec, out: Collector) -> list[Found]:
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
    try:
        matches = sorted(walk_glob(base, entry.pattern), key=natural_key)
    except GlobTooBig as exc:
        out.error(entry.line, f"{entry.pattern} {exc}")
        return []
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


def walk_glob(base: Path, pattern: str, *, max_matches: int = MAX_TRACKS + 1, max_entries: int | None = None,
              max_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> list[str]:
    """Paths under `base` (relative, '/'-separated) matching `pattern`, as `glob.glob` would.

    ``*``, ``?`` and ``[ab]`` match within one name and never a hidden one (``.name``)
    unless the pattern part starts with a dot; ``**`` matches zero or more folders and
    never enters a hidden folder or a link to a folder (links to files still match).

    Raises:
        GlobTooBig: more than `max_matches` matches, more than `max_entries` names looked
            at, or more than `max_s` seconds (the message says which). Defaults:
            `MAX_GLOB_ENTRIES`, `MAX_GLOB_S`.
    """
    max_entries = MAX_GLOB_ENTRIES if max_entries is None else max_entries
    max_s = MAX_GLOB_S if max_s is None else max_s
    walker = _GlobWalk(base, max_entries, clock() + max_s, clock, max_s)
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    prefixes = [""]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            prefixes = [p for prefix in prefixes for p in walker.tree(prefix, files=last)]
        elif _MAGIC.search(part):
            prefixes = [p for prefix in prefixes for p in walker.matching(prefix, part, dirs_only=not last)]
        else:
            prefixes = [p for p in (_join(prefix, part) for prefix in prefixes)
                        if (os.path.lexists if last else os.path.isdir)(base / p)]
        if len(prefixes) > max_matches:
            raise GlobTooBig(f"matches more than {max_matches - 1:,} files; the limit is {max_matches - 1:,}")
    return [p for p in prefixes if p]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


class _GlobWalk:
    """Folder listings for `walk_glob`, counted against its limits."""

    def __init__(self, base: Path, max_entries: int, deadline: float, clock: Callable[[], float],
                 max_s: float) -> None:
        self._base = base
        self._left = max_entries
        self._max_entries = max_entries
        self._deadline = deadline
        self._clock = clock
        self._max_s = max_s

    def _entries(self, prefix: str) -> list[os.DirEntry]:
        try:
            with os.scandir(self._base / prefix if prefix else self._base) as it:
                entries = list(it)
        except OSError:  # not a folder, vanished, unreadable: no matches there, as glob.glob
            return []
        self._left -= len(entries)
        if self._left < 0:
            raise GlobTooBig(f"looks at more than {self._max_entries:,} names; the limit is {self._max_entries:,}")
        if self._clock() > self._deadline:
            raise GlobTooBig(f"took more than {self._max_s:g} s to list its folders")
        return entries

    def matching(self, prefix: str, part: str, *, dirs_only: bool) -> Iterator[str]:
        hidden_ok = part.startswith(".")
        for entry in self._entries(prefix):
            visible = hidden_ok or not entry.name.startswith(".")
            if visible and fnmatch.fnmatchcase(entry.name, part) and (not dirs_only or _is_dir(entry, follow=True)):
                yield _join(prefix, entry.name)

    def tree(self, prefix: str, *, files: bool) -> Iterator[str]:
        """`prefix` and every folder below it, never through a link (with `files`: files too)."""
        yield prefix
        stack = [prefix]
        while stack:
            folder = stack.pop()
            for entry in self._entries(folder):
                if entry.name.startswith("."):
                    continue
                path = _join(folder, entry.name)
                if _is_dir(entry, follow=False):
                    yield path
                    stack.append(path)
                elif files:
                    yield path


def _is_dir(entry: os.DirEntry, *, follow: bool) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


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
