"""The imported library's playlists, read by name: what the page, MQTT and the control socket start.

The library itself (generations behind a ``current`` symlink, imports, rollback) is written
by player/usb/library.py; this module only reads it, so every edge that starts a playlist
by name asks here and none of them needs the USB package.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from player.errors import PlaylistNotFound

LIBRARY_DIR = "library"
MANIFEST = ".import.json"  # in each generation: what the import found (player/usb/importer.py writes it)
PLAYLIST_SUFFIXES = (".yaml", ".yml")
MAX_NAME_CHARS = 120
GENERATION = re.compile(r"gen-(\d{6,})")  # a generation folder's name


def library_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / LIBRARY_DIR


def current_library(data_dir: str | os.PathLike[str]) -> Path:
    """``<data_dir>/library/current``: where the daemon finds the imported playlists (``*.yaml``)."""
    return library_dir(data_dir) / "current"


def current_library_name(data_dir: str | os.PathLike[str]) -> str | None:
    """The generation ``current`` names (``gen-000004``), None before the first import."""
    return link_target(library_dir(data_dir), "current")


def library_playlists(data_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """The current library's playlists by name: ``{"iv-ketamine": <path>}``, sorted by name.

    A name is the file name without ``.yaml``/``.yml``. Paths point into the generation
    itself, not through ``current``, so a session started from one keeps its files when
    a later import flips ``current`` (see `clean`). Only regular files count (the import
    writes nothing else); an empty or missing library gives ``{}``.
    """
    lib = library_dir(data_dir)
    gen = link_target(lib, "current")
    if gen is None:
        return {}
    found: dict[str, Path] = {}
    try:
        entries = sorted(os.scandir(lib / gen), key=lambda e: e.name)
    except OSError:
        return {}
    for entry in entries:
        stem, suffix = os.path.splitext(entry.name)
        if (suffix in PLAYLIST_SUFFIXES and stem and not entry.name.startswith(".") and stem not in found
                and entry.is_file(follow_symlinks=False)):
            found[stem] = Path(entry.path)
    return found


def library_playlist(data_dir: str | os.PathLike[str], name: object) -> Path:
    """The path of the library playlist called `name` (``iv-ketamine`` or ``iv-ketamine.yaml``).

    For callers that must never name a file themselves (the web page, MQTT): only a plain
    name of a playlist in ``<data_dir>/library/current`` is accepted, never a path.

    Raises:
        PlaylistNotFound: `name` is not a plain name, or no such playlist is in the library
            (the message lists the ones there are).
    """
    if not isinstance(name, str) or not name.strip():
        raise PlaylistNotFound("a playlist is named by its name in the library, e.g. 'iv-ketamine'")
    name = name.strip()
    if ("/" in name or "\\" in name or name.startswith(".") or len(name) > MAX_NAME_CHARS
            or any(ord(c) < 32 or ord(c) == 127 for c in name)):
        raise PlaylistNotFound("only playlists of the library can be started here, by name "
                               "(e.g. 'iv-ketamine'), never by a path")
    playlists = library_playlists(data_dir)
    stem, suffix = os.path.splitext(name)
    key = stem if suffix in PLAYLIST_SUFFIXES else name
    path = playlists.get(key)
    if path is None or (suffix in PLAYLIST_SUFFIXES and path.name != name):
        there = ", ".join(repr(n) for n in list(playlists)[:20]) or "none: import a USB stick first"
        raise PlaylistNotFound(f"no playlist {name!r} in the library (it has: {there})")
    return path


def voice_heard(playlist_path: Path) -> dict[str, dict]:
    """What the import heard in the files of a library playlist (its generation's manifest ``voice``:
    file relative to the playlist's folder -> `player.audio.voice.VoiceScan.as_dict`); {} if nothing."""
    try:
        data = json.loads((Path(playlist_path).parent / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    heard = data.get("voice") if isinstance(data, dict) else None
    return {k: v for k, v in heard.items() if isinstance(v, dict)} if isinstance(heard, dict) else {}


def link_target(lib: Path, link: str) -> str | None:
    """The generation `link` (current, previous, pending) names; None when it names none."""
    try:
        name = os.readlink(lib / link)
    except OSError:
        return None
    return name if GENERATION.fullmatch(name) and (lib / name).is_dir() else None
