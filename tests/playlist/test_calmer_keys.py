"""The playlist's ``calmer:`` keys (per phase, and playlist-wide): same syntax and checks as ``tracks``."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.errors import PlaylistInvalid
from player.playlist.validate import check_playlist, load_playlist
from tests.support.audio_files import write_audio


@pytest.fixture
def music(tmp_path: Path) -> Path:
    for name, seconds in (("a", 60.0), ("b", 60.0), ("calm-1", 60.0), ("calm-2", 60.0), ("soft", 60.0),
                          ("short", 5.0)):
        write_audio(tmp_path / "music" / f"{name}.flac", seconds)
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "p.yaml"
    path.write_text(text)
    return path


def test_phase_and_playlist_calmer_music_resolve_globs_like_tracks(music: Path) -> None:
    path = write(music, "name: P\ncrossfade: 4s\ncalmer: music/soft.flac\nphases:\n"
                        "  - name: settling\n    duration: 5m\n    tracks: [music/a.flac]\n"
                        "    calmer: [music/calm-*.flac]\n"
                        "  - name: peak\n    duration: 5m\n    tracks: [music/b.flac]\n")
    playlist = load_playlist(path)
    assert [t.path.name for t in playlist.phases[0].calmer] == ["calm-1.flac", "calm-2.flac"]
    assert [t.path.name for t in playlist.calmer] == ["soft.flac"]
    assert [t.path.name for t in playlist.calmer_for(0)] == ["calm-1.flac", "calm-2.flac"]
    assert [t.path.name for t in playlist.calmer_for(1)] == ["soft.flac"]
    assert playlist.phases[0].calmer[0].duration_s == pytest.approx(60.0)     # probed like tracks
    assert not [d for d in playlist.warnings if "calm" in d.message or "soft" in d.message]


def test_no_calmer_key_means_no_calmer_music_and_no_warning(music: Path) -> None:
    playlist = load_playlist(write(music, "name: P\nphases:\n  - name: peak\n    duration: 5m\n"
                                          "    tracks: [music/a.flac]\n"))
    assert playlist.calmer == () and playlist.calmer_for(0) == ()
    assert not [d for d in playlist.warnings if "calmer" in d.message]


@pytest.mark.parametrize("text,line,message", [
    ("name: P\ncalmer: [music/nope.flac]\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [music/a.flac]\n",
     2, "error: file not found: music/nope.flac"),
    ("name: P\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [music/a.flac]\n    calmer: [../x.flac]\n",
     6, "error: track path '../x.flac' leaves the playlist's folder"),
    ("name: P\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [music/a.flac]\n    calmer: 7\n",
     6, "error: 'calmer' in phase 'peak' must be a list of files, got a number (7)"),
    ("name: P\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [music/a.flac]\n    calmer: [music/z*.flac]\n",
     6, "error: no files match music/z*.flac"),
    ("name: P\ncrossfade: 4s\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [music/a.flac]\n"
     "    calmer: [music/short.flac]\n", 7, "error: crossfade (4 s) in phase 'peak' is longer than half of "
                                           "music/short.flac"),
    ("name: P\ncalmer: []\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [music/a.flac]\n",
     2, "warning: 'calmer' in the playlist is empty: no calmer music there"),
    ("name: P\ncalmr: [music/a.flac]\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [music/a.flac]\n",
     2, "error: unknown key 'calmr' in the playlist (did you mean 'calmer'?)"),
])
def test_calmer_music_is_checked_with_file_and_line(music: Path, text: str, line: int, message: str) -> None:
    path = write(music, text)
    shown = [str(d) for d in check_playlist(path)]
    assert any(d.startswith(f"{path}:{line}: {message}") for d in shown), shown


def test_a_playlist_wide_calmer_track_too_short_for_two_phases_is_reported_once(music: Path) -> None:
    path = write(music, "name: P\ncrossfade: 4s\ncalmer: [music/short.flac]\nphases:\n"
                        "  - name: settling\n    duration: 5m\n    tracks: [music/a.flac]\n"
                        "  - name: peak\n    duration: 5m\n    tracks: [music/b.flac]\n")
    errors = [d for d in check_playlist(path) if d.severity == "error"]
    assert len(errors) == 1 and errors[0].line == 3
    with pytest.raises(PlaylistInvalid):
        load_playlist(path)
