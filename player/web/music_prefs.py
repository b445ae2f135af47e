"""The page's music-preference routes: what to offer in the intake, and the tracks an answer flags.

``GET /api/music-preferences``: the suggested items (checkboxes), the loudness choices, how
much quieter "quieter" plays and the synonym table. ``GET
/api/music-preferences/flags?playlist=NAME&avoid=choir&avoid=piano``: the library playlist's
tracks whose tags match (player/reports/music_flags.py; no ``playlist``: the configured
default). Both only read; the preferences themselves go with the ``start`` control
(``preferences``), checked there like every other edge's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from player.core.music_prefs import LOUDNESS, QUIETER_DB, SUGGESTED, SYNONYMS, check_preferences
from player.errors import PlaylistInvalid, PlaylistNotFound
from player.http.app import CONFIG_KEY, error, json_response
from player.playlist.library import library_playlist
from player.playlist.validate import load_playlist
from player.reports.music_flags import playlist_flags
from player.web.api import EXECUTOR_KEY, _hide_data_dir


async def api_music_preferences(request: web.Request) -> web.Response:
    return json_response({"suggested": list(SUGGESTED), "loudness": list(LOUDNESS), "quieter_db": QUIETER_DB,
                          "synonyms": {k: list(v) for k, v in SYNONYMS.items()}})


async def api_music_flags(request: web.Request) -> web.Response:
    """The flags for one playlist and the items asked (checked like the start control's)."""
    try:
        prefs = check_preferences({"avoid": request.query.getall("avoid", [])})
    except ValueError as exc:
        return error(400, str(exc))
    name = request.query.get("playlist") or None
    config = request.app[CONFIG_KEY]

    def flags() -> dict:
        path = library_playlist(config.data_dir, name) if name is not None else config.session.default_playlist
        if path is None:
            raise PlaylistNotFound("no playlist named and session.default_playlist is not set")
        playlist = load_playlist(Path(path), probe=False)   # only its files are needed: read their tags once
        return {"playlist": name, "avoid": list(prefs.avoid), "flags": playlist_flags(playlist, prefs.avoid)}
    try:
        answer = await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR_KEY], flags)
    except PlaylistNotFound as exc:
        return error(404, _hide_data_dir(request, str(exc)))
    except PlaylistInvalid:
        return error(409, "the playlist is not valid (session-player check names its problems)")
    except OSError as exc:
        return error(409, _hide_data_dir(request, f"cannot read the playlist: {exc.strerror or exc}"))
    return json_response(answer)


def add_music_preference_routes(app: web.Application) -> None:
    """Register both routes on the page's app (behind its token check, like every /api route)."""
    app.router.add_get("/api/music-preferences", api_music_preferences)
    app.router.add_get("/api/music-preferences/flags", api_music_flags)
