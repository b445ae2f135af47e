"""What the level model says of a set of tracks, for `check`, `plan`, `analyze` and the import.

Each track that cannot be heard as loud as the cap allows lowers the session's reference
(or stays quieter than the rest): `player.core.level_model.shortfall_notes` words it; this
module only gathers the figures, from the files' tags and the loudness cache (never a
measurement unless asked: `check` and `plan` must stay fast).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from player.audio.ebur128 import Spawn
from player.audio.loudness import LoudnessLookup
from player.config import Config, load_config
from player.core.level_model import LevelLimits, TrackLevel, shortfall_notes
from player.errors import AudioFailed, ConfigInvalid

if TYPE_CHECKING:   # a playlist is only read here (its phases' tracks); the audio part imports no playlist code
    from player.playlist.model import Playlist


def lookup_for(config: Config, *, measure: bool = True, spawn: Spawn | None = None) -> LoudnessLookup:
    """The loudness lookup on the chair's cache: kept when the data dir is writable (or only read).

    `spawn` starts its ffmpeg (the import's: at background priority, `player.background.spawn_lowered`).
    """
    cache = config.data_dir / "loudness-cache.json"
    writable = config.data_dir.is_dir() and os.access(config.data_dir, os.W_OK)
    return LoudnessLookup(config.loudness, cache if writable or not measure else None, spawn=spawn,
                          limits=LevelLimits.of(config))


def level_notes(tracks: dict[str, Path], config: Config, *, measure: bool = False,
                lookup: LoudnessLookup | None = None) -> list[str]:
    """One sentence per named track that lowers the session or plays quieter (known figures only)."""
    lookup = lookup or lookup_for(config, measure=measure)
    known: dict[str, TrackLevel] = {}
    for name, path in tracks.items():
        try:
            result = lookup.analyze(path) if measure else lookup.known(path)
        except (AudioFailed, OSError):
            result = None
        if result is not None:
            known[name] = result.level
    return shortfall_notes(known, LevelLimits.of(config))[1]


def playlist_tracks(playlist: Playlist) -> dict[str, Path]:
    """The playlist's tracks named as staff read them: phase/NN (1-based, in the playlist's order)."""
    return {f"{phase.name}/{i:02d}": track.path for phase in playlist.phases for i, track in enumerate(phase.tracks, 1)}


def playlist_level_notes(playlist: Playlist, config_path: Path | None) -> list[str]:
    """`level_notes` of a playlist's tracks under the chair's config (none when that config is invalid:
    `session-player config` reports it)."""
    try:
        config = load_config(config_path)
    except ConfigInvalid:
        return []
    return level_notes(playlist_tracks(playlist), config)
