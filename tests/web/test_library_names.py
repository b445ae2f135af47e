"""The web API starts only playlists of the imported library, by name; never a path.

`{"action": "load", "playlist": "/etc/shadow"}` once answered with the file's lines as
"unknown key" errors. Now anything but the name of a playlist in
``<data_dir>/library/current`` is refused with 400 before the engine is asked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from player.daemon import Daemon
from player.errors import PlaylistNotFound
from player.playlist.library import library_playlist, library_playlists
from player.web import WebServer
from tests.session.conftest import daemon_config
from tests.support.audio_files import write_audio
from tests.web.conftest import Http

SECRET = "root:$y$j9T$SECRETHASH:19700:0:99999:7:::\n"


def make_library(data_dir: Path, playlists: dict[str, str], gen: str = "gen-000001") -> Path:
    """A library generation holding `playlists` (file name -> text), made current."""
    folder = data_dir / "library" / gen
    folder.mkdir(parents=True)
    for name, text in playlists.items():
        (folder / name).write_text(text)
    os.symlink(gen, data_dir / "library" / "current")
    return folder


@pytest.fixture
def library(web_config, tmp_path) -> Path:
    secret = tmp_path / "shadow"
    secret.write_text(SECRET)
    folder = make_library(web_config.data_dir, {"iv-ketamine.yaml": "name: IV\n", "calm.yml": "name: Calm\n",
                                                ".hidden.yaml": "name: h\n", "notes.txt": "x"})
    os.symlink(secret, folder / "evil.yaml")  # the import never writes links; one planted here is not a playlist
    return folder


def test_library_playlists_lists_regular_playlist_files_by_name(web_config, library):
    found = library_playlists(web_config.data_dir)
    assert list(found) == ["calm", "iv-ketamine"]
    assert found["iv-ketamine"] == library / "iv-ketamine.yaml"  # into the generation, not through 'current'


def test_library_playlist_takes_a_name_with_or_without_its_suffix(web_config, library):
    assert library_playlist(web_config.data_dir, "iv-ketamine") == library / "iv-ketamine.yaml"
    assert library_playlist(web_config.data_dir, "iv-ketamine.yaml") == library / "iv-ketamine.yaml"
    assert library_playlist(web_config.data_dir, " calm ") == library / "calm.yml"
    with pytest.raises(PlaylistNotFound, match="no playlist 'calm.yaml' in the library"):
        library_playlist(web_config.data_dir, "calm.yaml")


@pytest.mark.parametrize("name", ["/etc/shadow", "../../etc/shadow", "gen-000001/calm.yml", ".hidden", "a\\b",
                                  "x\x00y", "x\ny"])
def test_library_playlist_refuses_anything_like_a_path(web_config, library, name):
    with pytest.raises(PlaylistNotFound, match="never by a path"):
        library_playlist(web_config.data_dir, name)


def test_library_playlist_without_a_library_says_so(web_config):
    assert library_playlists(web_config.data_dir) == {}
    with pytest.raises(PlaylistNotFound, match=r"\(it has: none: import a USB stick first\)"):
        library_playlist(web_config.data_dir, "calm")


def test_api_playlists_lists_the_names(http, library):
    assert http.get("/api/playlists").json() == {"playlists": ["calm", "iv-ketamine"]}


@pytest.mark.parametrize("action", ["start", "load"])
def test_start_and_load_by_name_pass_the_library_path(http, controller, library, action):
    reply = http.control(action, playlist="iv-ketamine")
    assert reply.status == 200, reply.body
    assert controller.submitted[-1] == (action, "web", {"playlist": str(library / "iv-ketamine.yaml")})


@pytest.mark.parametrize("playlist", ["/etc/shadow", "../shadow", "evil", "nope", 7, ["calm"]])
def test_anything_else_is_refused_with_400_before_the_engine(http, controller, library, playlist):
    reply = http.control("load", playlist=playlist)
    assert reply.status == 400, reply.body
    error = reply.json()["error"]
    assert "never by a path" in error or "in the library" in error or "must be a path" in error, error
    assert controller.submitted == []
    assert "SECRET" not in reply.body.decode()


def test_unknown_name_lists_the_library(http, library):
    reply = http.control("start", playlist="nope")
    assert reply.json()["error"] == "no playlist 'nope' in the library (it has: 'calm', 'iv-ketamine')"


def test_start_without_a_name_still_means_the_default_playlist(http, controller, library):
    assert http.control("start").status == 200
    assert controller.submitted[-1] == ("start", "web", {})


LIBRARY_PLAYLIST = """\
name: From the library
crossfade: 1s
phases:
  - name: onset
    duration: 10m
    tracks: [music/*.flac]
"""


@pytest.fixture
def daemon(tmp_path: Path):
    """The real daemon (simulated audio) with one playlist and its music in its library."""
    data_dir = tmp_path / "data"
    folder = make_library(data_dir, {"short.yaml": LIBRARY_PLAYLIST})
    write_audio(folder / "music" / "a.flac", 5.0)
    with Daemon(daemon_config(data_dir, web={"enabled": True, "port": 0})) as running:
        yield running


def test_real_engine_loads_a_library_playlist_by_name_and_never_a_secret(daemon, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text(SECRET)
    api = Http(daemon.part(WebServer), daemon.config.token_path.read_text().strip())
    for path in (str(secret), "/etc/shadow", str(daemon.config.token_path)):
        reply = api.control("load", playlist=path)
        assert reply.status == 400 and "never by a path" in reply.json()["error"]
        assert b"SECRET" not in reply.body and daemon.config.token_path.read_bytes().strip() not in reply.body
    started = api.control("start", playlist="short")
    assert started.status == 200, started.body
    assert started.json()["status"]["state"] == "playing"
    assert started.json()["status"]["playlist"] == "From the library"
