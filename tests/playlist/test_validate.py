"""load_playlist / check_playlist on real files: what a valid playlist becomes, and the edges."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TCON, USLT

from player.errors import PlayerError, PlaylistInvalid
from player.playlist import probe as probe_module
from player.playlist.model import Playlist
from player.playlist.validate import check_playlist, load_playlist
from player.yamlsafe import MAX_YAML_BYTES
from tests.support.audio_files import make_clinic, write_audio
from tests.support.privileges import run_unprivileged


def _write(folder: Path, text: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


VALID = """\
name: Full example
crossfade: 5s
phases:
  - name: settling
    duration: 2m
    fade_in: 45s
    tracks: [music/a.flac]
  - name: peak
    duration: 90s
    crossfade: 10s
    on_short: silence
    finish_track: true
    tracks:
      - file: music/b.flac
        gain: -2dB
      - music/c.wav
  - name: recovery
    duration: 1:30
    fade_out: 20s
    tracks: music/a.flac
"""


def test_valid_playlist_becomes_the_model(clinic):
    playlist = load_playlist(_write(clinic, VALID))
    assert isinstance(playlist, Playlist)
    assert playlist.name == "Full example" and playlist.crossfade_s == 5.0
    assert playlist.path == (clinic / "p.yaml").absolute()
    settling, peak, recovery = playlist.phases
    assert (settling.name, settling.duration_s, settling.fade_in_s, settling.crossfade_s) == ("settling", 120, 45, 5)
    assert settling.line == 4 and settling.on_short == "loop" and settling.finish_track is False
    assert (peak.crossfade_s, peak.on_short, peak.finish_track) == (10.0, "silence", True)
    assert [t.path for t in peak.tracks] == [clinic / "music/b.flac", clinic / "music/c.wav"]
    assert [t.gain_db for t in peak.tracks] == [-2.0, 0.0]
    assert [t.line for t in peak.tracks] == [14, 16]
    assert peak.tracks[0].duration_s == pytest.approx(50) and peak.tracks[0].sample_rate == 8000
    assert recovery.duration_s == 90 and recovery.fade_out_s == 20 and recovery.tracks[0].title == "a.flac"
    assert playlist.total_s == 300
    assert all(d.severity == "warning" for d in playlist.diagnostics)


def test_check_playlist_returns_diagnostics_and_never_raises(clinic, tmp_path):
    assert [(d.line, d.severity) for d in check_playlist(_write(clinic, VALID))] == [
        (4, "warning"), (8, "warning"), (14, "warning"), (17, "warning")]
    missing = check_playlist(tmp_path / "nope.yaml")
    assert [str(d) for d in missing] == [
        f"{tmp_path / 'nope.yaml'}:1: error: cannot read playlist: No such file or directory"]


def test_playlist_invalid_is_a_player_error_and_a_value_error(clinic):
    with pytest.raises(PlaylistInvalid) as info:
        load_playlist(_write(clinic, "name: x\n"))
    assert isinstance(info.value, PlayerError) and isinstance(info.value, ValueError)
    assert "1 error(s)" in str(info.value)


def test_without_probing_files_are_found_but_not_read(clinic):
    text = "name: x\nphases:\n  - name: onset\n    duration: 1m\n    tracks: [music/notes.txt, music/tiny.flac]\n"
    playlist = load_playlist(_write(clinic, text), probe=False)
    assert [t.duration_s for t in playlist.phases[0].tracks] == [None, None]
    with pytest.raises(PlaylistInvalid, match="not an audio file"):
        load_playlist(clinic / "p.yaml")
    missing = "name: x\nphases:\n  - name: onset\n    duration: 1m\n    tracks: [music/zz.flac]\n"
    with pytest.raises(PlaylistInvalid, match="file not found"):
        load_playlist(_write(clinic, missing), probe=False)


def test_globs_sort_naturally_and_skip_hidden_files(clinic):
    for name in ("10 calm.flac", "2 calm.flac", "1 calm.flac", "._2 calm.flac"):
        write_audio(clinic / "set" / name, 20)
    (clinic / "set" / "sub").mkdir()
    text = "name: x\ncrossfade: 2s\nphases:\n  - name: onset\n    duration: 1m\n    tracks: [set/*]\n"
    playlist = load_playlist(_write(clinic, text))
    assert [t.title for t in playlist.phases[0].tracks] == ["1 calm.flac", "2 calm.flac", "10 calm.flac"]


def test_recursive_glob(clinic):
    write_audio(clinic / "deep" / "a" / "x.flac", 30)
    write_audio(clinic / "deep" / "b" / "y.flac", 30)
    text = "name: x\nphases:\n  - name: onset\n    duration: 50s\n    tracks: ['deep/**/*.flac']\n"
    assert [t.title for t in load_playlist(_write(clinic, text)).phases[0].tracks] == ["x.flac", "y.flac"]


def test_symlinks_inside_the_folder_are_fine(clinic):
    (clinic / "music" / "alias.flac").symlink_to(clinic / "music" / "a.flac")
    text = "name: x\nphases:\n  - name: onset\n    duration: 30s\n    tracks: [music/alias.flac]\n"
    assert load_playlist(_write(clinic, text)).phases[0].tracks[0].duration_s == pytest.approx(40)


def test_double_dots_inside_a_name_are_not_a_parent(clinic):
    write_audio(clinic / "music" / "a..b.flac", 30)
    text = "name: x\nphases:\n  - name: onset\n    duration: 20s\n    tracks: [music/a..b.flac]\n"
    assert load_playlist(_write(clinic, text)).phases[0].tracks[0].title == "a..b.flac"


def test_relative_playlist_path_from_the_working_directory(clinic, monkeypatch):
    _write(clinic, VALID)
    monkeypatch.chdir(clinic)
    playlist = load_playlist(Path("p.yaml"))
    assert playlist.phases[0].tracks[0].path == clinic / "music" / "a.flac"


def test_each_file_is_probed_once(clinic, monkeypatch):
    calls = []
    real = probe_module.probe_audio

    def counting(path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr("player.playlist.validate.probe_audio", counting)
    load_playlist(_write(clinic, VALID))
    assert sorted(p.name for p in calls) == ["a.flac", "b.flac", "c.wav"]


def test_file_over_the_size_limit_is_refused_before_parsing(clinic):
    path = _write(clinic, "name: x\n" + "#" * MAX_YAML_BYTES)
    [d] = check_playlist(path)
    assert d.line == 1 and "limit" in d.message and d.severity == "error"


def test_non_utf8_playlist(clinic):
    path = clinic / "latin1.yaml"
    path.write_bytes("name: Caf\xe9\n".encode("latin-1"))
    [d] = check_playlist(path)
    assert "not UTF-8" in d.message


def test_mp3_with_id3_lyrics_and_vocal_genre_warn(clinic):
    sung = write_audio(clinic / "mp3" / "sung.mp3", 30)
    tags = ID3()
    tags.add(USLT(encoding=3, lang="eng", desc="", text="words"))
    tags.save(sung)
    genre = write_audio(clinic / "mp3" / "genre.mp3", 30)
    tags = ID3()
    tags.add(TCON(encoding=3, text=["Vocal Jazz"]))
    tags.save(genre)
    text = "name: x\nphases:\n  - name: onset\n    duration: 50s\n    tracks: [mp3/genre.mp3, mp3/sung.mp3]\n"
    messages = [d.message for d in check_playlist(_write(clinic, text))]
    assert messages == [
        "mp3/genre.mp3 may have vocals or lyrics (its genre says 'Vocal'); check it suits the session",
        "mp3/sung.mp3 may have vocals or lyrics (it has a lyrics tag); check it suits the session",
    ]


@pytest.mark.parametrize("title", ["Ocean (Lyrics)", "Song ft. Someone", "A Cappella Morning", "Spoken word"])
def test_title_words_suggesting_vocals(clinic, title):
    write_audio(clinic / "t.flac", 30, tags={"TITLE": title})
    text = "name: x\nphases:\n  - name: onset\n    duration: 20s\n    tracks: [t.flac]\n"
    assert "may have vocals" in check_playlist(_write(clinic, text))[0].message


@pytest.mark.parametrize("title", ["Vocalise-free drift", "Sunglow", "Draft", "Featherlight"])
def test_titles_that_only_look_like_vocals_do_not_warn(clinic, title):
    write_audio(clinic / "t.flac", 30, tags={"TITLE": title})
    text = "name: x\nphases:\n  - name: onset\n    duration: 20s\n    tracks: [t.flac]\n"
    assert check_playlist(_write(clinic, text)) == []


def test_every_error_is_reported_at_once(clinic):
    text = ("name: x\ncrosfade: 8s\nphases:\n  - name: onset\n    duration: -1m\n    tracks: [music/zz.flac]\n"
            "  - name: onset\n    duration: 1m\n    on_short: never\n")
    lines = [(d.line, d.severity) for d in check_playlist(_write(clinic, text))]
    assert lines == [(2, "error"), (5, "error"), (7, "warning"), (9, "error")]


@pytest.fixture
def open_clinic():
    """A clinic folder any user can reach (tmp_path is 0700 under root), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="unreadable-"))
    try:
        folder.chmod(0o755)
        yield make_clinic(folder)
    finally:
        shutil.rmtree(folder)


def test_unreadable_audio_file(open_clinic):
    """Runs as an unprivileged user even under root (root reads files regardless of permissions)."""
    text = "name: x\nphases:\n  - name: onset\n    duration: 20s\n    tracks: [music/a.flac]\n"
    path = _write(open_clinic, text)
    for p in [open_clinic, *open_clinic.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    assert run_unprivileged(lambda: check_playlist(path)) == []  # readable: the only difference is the mode
    (open_clinic / "music" / "a.flac").chmod(0)
    diagnostics = run_unprivileged(lambda: check_playlist(path))
    assert "cannot read it as audio" in diagnostics[0].message


def test_a_track_too_short_for_its_crossfades_is_warned_about(tmp_path) -> None:
    from player.config import AudioConfig
    from player.core.crossfade import PREROLL_LEAD_S
    from player.playlist.checks import TRACK_OVERHEAD_S
    from player.playlist.validate import check_playlist
    from tests.support.audio_files import write_audio

    assert PREROLL_LEAD_S + AudioConfig().latency_s == TRACK_OVERHEAD_S   # what the mixer really does
    write_audio(tmp_path / "short.flac", 14.0)
    (tmp_path / "p.yaml").write_text("name: Short\ncrossfade: 6s\nphases:\n"
                                     "  - name: onset\n    duration: 10m\n    tracks: [short.flac]\n")
    found = [str(d) for d in check_playlist(tmp_path / "p.yaml")]
    assert any("short.flac (14.0 s) is short for crossfades of 6 s" in d and "about 5.0 s" in d
               and ": warning:" in d for d in found), found
