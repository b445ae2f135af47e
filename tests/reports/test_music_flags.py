"""Music preferences against real files: the tags read (FLAC, Ogg, MP3/ID3, M4A), the flags, the preferences file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import COMM, ID3, TALB, TCON, TIT2, TPE1

from player.core.music_prefs import MusicPreferences
from player.playlist.probe import text_tags
from player.playlist.validate import load_playlist
from player.reports.music_flags import MAX_PREFERENCES_BYTES, PreferencesInvalid, load_preferences, playlist_flags
from tests.support.audio_files import write_audio


def test_flac_vorbis_comments_give_all_five_tags_and_join_repeats(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", 5, tags={"TITLE": "Kyrie", "ARTIST": "Ensemble", "ALBUM": "Mass",
                                                     "GENRE": ["Sacred", "Choral"], "COMMENT": "live",
                                                     "COMPOSER": "ignored"})
    assert text_tags(path) == {"title": "Kyrie", "artist": "Ensemble", "album": "Mass", "genre": "Sacred / Choral",
                               "comment": "live"}


def test_ogg_vorbis_and_untagged_files(tmp_path: Path) -> None:
    from mutagen.oggvorbis import OggVorbis

    path = write_audio(tmp_path / "a.ogg", 5)
    assert text_tags(path) == {}
    audio = OggVorbis(path)
    audio["title"], audio["description"] = "Rain", "field recording, forest"
    audio.save()
    assert text_tags(path) == {"title": "Rain", "comment": "field recording, forest"}


def test_mp3_id3_frames_with_several_comments(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.mp3", 5)
    tags = ID3()
    tags.add(TIT2(encoding=3, text=["Psalm 23"]))
    tags.add(TPE1(encoding=3, text=["Choir of St. X"]))
    tags.add(TALB(encoding=3, text=["Evensong"]))
    tags.add(TCON(encoding=3, text=["Gospel"]))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=["first"]))
    tags.add(COMM(encoding=3, lang="eng", desc="note", text=["second"]))
    tags.save(path)
    got = text_tags(path)
    assert {k: got[k] for k in ("title", "artist", "album", "genre")} == {
        "title": "Psalm 23", "artist": "Choir of St. X", "album": "Evensong", "genre": "Gospel"}
    assert sorted(got["comment"].split(" / ")) == ["first", "second"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (a runtime dependency)")
def test_m4a_atoms(tmp_path: Path) -> None:
    from mutagen.mp4 import MP4

    path = tmp_path / "a.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "1",
                    "-c:a", "aac", str(path)], check=True, timeout=60)
    audio = MP4(path)
    audio["\xa9nam"], audio["\xa9gen"], audio["\xa9cmt"] = ["Hymn"], ["New Age"], ["piano solo"]
    audio.save()
    assert text_tags(path) == {"title": "Hymn", "genre": "New Age", "comment": "piano solo"}


def test_unreadable_and_not_audio_give_no_tags(tmp_path: Path) -> None:
    (tmp_path / "x.flac").write_bytes(b"not audio")
    assert text_tags(tmp_path / "x.flac") == {} and text_tags(tmp_path / "missing.flac") == {}


def test_a_very_long_tag_is_cut(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", 5, tags={"TITLE": "choir " * 500})
    assert len(text_tags(path)["title"]) == 500


PLAYLIST = """\
name: Evening
calmer: [music/c.flac]
phases:
  - name: settling
    duration: 1m
    tracks: [music/a.flac, music/b.flac, music/a.flac]
  - name: peak
    duration: 1m
    tracks: [music/c.flac]
"""


@pytest.fixture
def evening(tmp_path: Path) -> Path:
    write_audio(tmp_path / "music/a.flac", 40, tags={"TITLE": "Hymn", "GENRE": "Choral"})
    write_audio(tmp_path / "music/b.flac", 40, tags={"TITLE": "Open Sky"})
    write_audio(tmp_path / "music/c.flac", 70, tags={"COMMENT": "church organ"})
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    return tmp_path / "p.yaml"


def test_flags_each_file_once_in_play_order_calmer_music_too_and_nothing_changes(evening: Path) -> None:
    playlist = load_playlist(evening)
    before = {p: p.stat().st_mtime_ns for p in evening.parent.rglob("*")}
    flags = playlist_flags(playlist, ["religious", "choir"])
    assert [(f["file"], f["tag"], f["word"], f["item"]) for f in flags] == [
        ("music/a.flac", "title", "Hymn", "religious"), ("music/a.flac", "genre", "Choral", "choir"),
        ("music/c.flac", "comment", "church", "religious")]
    assert flags[0]["says"] == 'title "Hymn" has "Hymn" (avoid: religious)' and flags[0]["text"] == "Hymn"
    assert playlist_flags(playlist, []) == [] and playlist_flags(playlist, ["drums"]) == []
    assert before == {p: p.stat().st_mtime_ns for p in evening.parent.rglob("*")}


def test_flags_read_each_file_once(evening: Path) -> None:
    read: list[Path] = []
    playlist_flags(load_playlist(evening), ["x"], read=lambda p: read.append(p) or {})
    assert [p.name for p in read] == ["a.flac", "b.flac", "c.flac"]


# --- the preferences file -------------------------------------------------------------------------

def _prefs(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "preferences.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize("text,expected", [
    ("avoid: [choir, Piano]\nloudness: quieter\n", MusicPreferences(("choir", "piano"), "quieter")),
    ("avoid:\n  - nothing religious\n", MusicPreferences(("nothing religious",), "as_planned")),
    ("avoid: choir\n", MusicPreferences(("choir",))),
    ("loudness: as_planned\n", MusicPreferences()),
    ("# nothing asked\n", MusicPreferences()),
    ("", MusicPreferences()),
    ("avoid:\nloudness:\n", MusicPreferences()),
])
def test_good_files(tmp_path: Path, text: str, expected: MusicPreferences) -> None:
    assert load_preferences(_prefs(tmp_path, text)) == expected


@pytest.mark.parametrize("text,errors", [
    ("- choir\n", [":1: error: a preferences file is a mapping"]),
    ("choir\n", [":1: error: a preferences file is a mapping"]),
    ("avoid: [choir\n", [":2: error: not a preferences file:"]),
    ("avoid:\n  - ok\n  - {a: 1}\n  - ''\n", [":3: error: each item to avoid", ":4: error: an item to avoid needs"]),
    ("avoid: 7\n", [":1: error: avoid must be a list"]),
    ("avoid: [" + ", ".join(f"i{n}" for n in range(21)) + "]\n", [":1: error: avoid must be a list of at most 20"]),
    ("\n\nloudness: max\n", [":3: error: loudness must be one of as_planned, quieter"]),
    ("avoid: [a]\nvolume: 0\n", [":2: error: preferences take avoid and loudness only, not volume"]),
    ("a: &x [1]\nb: *x\n", [":1: error: not a preferences file:"]),
    (b"avoid: [caf\xe9]\n", [":1: error: not a preferences file: file is not UTF-8"]),
])
def test_bad_files_name_every_error_by_line(tmp_path: Path, text: str, errors: list[str]) -> None:
    path = _prefs(tmp_path, text)
    with pytest.raises(PreferencesInvalid) as err:
        load_preferences(path)
    lines = str(err.value).splitlines()
    assert len(lines) == len(errors)
    for line, error in zip(lines, errors, strict=True):
        assert line.startswith(f"{path}{error}"), line


def test_a_file_over_the_size_bound_is_refused_before_reading(tmp_path: Path) -> None:
    path = _prefs(tmp_path, "# " + "x" * MAX_PREFERENCES_BYTES + "\n")
    with pytest.raises(PreferencesInvalid, match=f"{path}:1: error: not a preferences file: file is .* bytes"):
        load_preferences(path)


def test_a_fifo_a_folder_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(PreferencesInvalid, match="not a regular file"):
        load_preferences(fifo)          # never blocks on the pipe
    with pytest.raises(PreferencesInvalid, match="not a regular file"):
        load_preferences(tmp_path)
    with pytest.raises(PreferencesInvalid, match="cannot read the preferences file: No such file"):
        load_preferences(tmp_path / "missing.yaml")
