"""The hostile-stick corpus: one test per attack, each asserting the refusal line and that
nothing outside the data dir changed (the stick, and a bystander folder beside it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from player.usb.importer import import_stick
from player.usb.plan import render_text
from tests.usb.conftest import make_config, playlist_yaml, snapshot


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A bystander folder a hostile stick would like to read or write."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("not for the stick")
    return folder


def run_import(stick, config, tmp_path: Path) -> tuple[dict, str]:
    before = snapshot(tmp_path, exclude=config.data_dir)
    report = import_stick(stick.root, config)
    assert snapshot(tmp_path, exclude=config.data_dir) == before, "something outside the data dir changed"
    return report, render_text(report)


def library_files(config) -> set[str]:
    current = config.data_dir / "library" / "current"
    return {str(p.relative_to(current)) for p in current.rglob("*")} if current.exists() else set()


def test_traversal_with_dotdot_is_refused(stick, config, tmp_path):
    stick.audio("../secret.flac")  # a real audio file just outside the playlists folder
    stick.playlist("evil.yaml", playlist_yaml("../secret.flac"))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/evil.yaml:" in text and ".." in text
    assert report["accepted"] == ["playlists/calm.yaml"]
    assert "secret.flac" not in " ".join(library_files(config))


def test_absolute_path_is_refused(stick, config, tmp_path, outside):
    target = outside / "abs.flac"
    from tests.support.audio_files import write_audio

    write_audio(target, 5.0)
    stick.playlist("evil.yaml", playlist_yaml(str(target)))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/evil.yaml:" in text and "absolute" in text
    assert not any("abs.flac" in f for f in library_files(config))


def test_symlink_on_stick_is_refused_and_not_followed(stick, config, tmp_path, outside):
    os.symlink(outside / "secret.txt", stick.playlists / "calm" / "c.flac")  # the calm glob matches it
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/calm/c.flac: is a symbolic link" in text
    assert "REFUSED playlists/calm.yaml" in text
    assert report["result"] == "unchanged" and library_files(config) == set()


def test_symlink_pointing_inside_the_stick_is_refused_too(stick, config, tmp_path):
    os.symlink("a.flac", stick.playlists / "calm" / "alias.flac")
    stick.playlist("alias.yaml", playlist_yaml("calm/alias.flac"))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/calm/alias.flac: is a symbolic link" in text
    assert "REFUSED playlists/alias.yaml: refers to calm/alias.flac, which was refused (is a symbolic link" in text


def test_symlinked_stick_folder_is_refused(tmp_path, config, outside):
    root = tmp_path / "stick"
    root.mkdir()
    (outside / "playlists").mkdir()
    os.symlink(outside, root / "session-player")
    before = snapshot(tmp_path, exclude=config.data_dir)
    report = import_stick(root, config)
    assert snapshot(tmp_path, exclude=config.data_dir) == before
    assert "REFUSED session-player/playlists:" in render_text(report) and "link" in render_text(report)


def test_hardlink_is_refused(stick, config, tmp_path):
    os.link(stick.playlists / "calm" / "a.flac", stick.playlists / "calm" / "twin.flac")
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/calm/a.flac: is a hard link (2 names for one file)" in text
    assert report["result"] == "unchanged"


def test_fifo_is_refused_without_hanging(stick, config, tmp_path):
    os.mkfifo(stick.playlists / "calm" / "pipe.flac")
    stick.playlist("pipe.yaml", playlist_yaml("calm/pipe.flac"))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/calm/pipe.flac: is a FIFO (named pipe)" in text
    assert "REFUSED playlists/pipe.yaml" in text


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_device_file_is_refused(stick, config, tmp_path):
    os.mknod(stick.playlists / "zero.flac", 0o600 | 0o020000, os.makedev(1, 5))  # like /dev/zero
    stick.playlist("dev.yaml", playlist_yaml("zero.flac"))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/zero.flac: is a device file" in text
    assert "REFUSED playlists/dev.yaml" in text


def test_control_characters_in_a_name_are_refused_and_escaped(stick, config, tmp_path):
    stick.audio("calm/bell\x07\x1b[2J.flac")
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/calm/bell\\u0007\\u001b[2J.flac: name contains control characters" in text
    assert "\x07" not in text and "\x1b" not in text
    assert report["result"] == "unchanged"


def test_file_over_max_file_bytes_is_refused(stick, data_dir, tmp_path):
    config = make_config(data_dir, max_file_bytes=5000)
    stick.audio("big/long.wav", 30.0)
    stick.playlist("big.yaml", playlist_yaml("big/long.wav"))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/big.yaml: big/long.wav is" in text and "over usb.max_file_bytes (5000)" in text
    assert report["accepted"] == ["playlists/calm.yaml"]


def test_total_over_max_total_bytes_is_refused(stick, data_dir, tmp_path):
    size = sum(p.stat().st_size for p in (stick.playlists / "calm").iterdir())
    config = make_config(data_dir, max_total_bytes=size)
    stick.audio("more/c.wav", 7.0)
    stick.playlist("more.yaml", playlist_yaml("more/c.wav"))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/more.yaml: the import would total" in text and "usb.max_total_bytes" in text
    assert report["accepted"] == ["playlists/calm.yaml"]


def test_too_many_files_refuses_the_whole_stick(stick, data_dir, tmp_path):
    config = make_config(data_dir, max_files=5)
    for i in range(6):
        (stick.playlists / f"junk{i}.txt").write_text("x")
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED session-player/playlists: more than 5 files (usb.max_files)" in text
    assert report["result"] == "unchanged" and not (data_dir / "library" / "current").exists()


def test_yaml_alias_bomb_is_refused(stick, config, tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    stick.playlist("bomb.yaml", bomb)
    report, text = run_import(stick, config, tmp_path)
    assert ("REFUSED playlists/bomb.yaml:1: invalid playlist: not a playlist: YAML anchors (&name) are not allowed"
            in text)
    assert report["accepted"] == ["playlists/calm.yaml"]


def test_non_audio_dressed_as_audio_is_refused(stick, config, tmp_path):
    (stick.playlists / "calm2").mkdir()
    (stick.playlists / "calm2" / "track.flac").write_bytes(b"#!/bin/sh\nrm -rf /\n" * 100)
    stick.playlist("fake.yaml", playlist_yaml("calm2/track.flac"))
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/fake.yaml:7: invalid playlist: calm2/track.flac:" in text
    assert report["accepted"] == ["playlists/calm.yaml"]
    assert "calm2/track.flac" not in library_files(config)


def test_not_enough_free_space_is_refused(stick, data_dir, tmp_path):
    config = make_config(data_dir, reserve_bytes=2**62)
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/calm.yaml: not enough free space" in text and "usb.reserve_bytes" in text
    assert report["result"] == "unchanged"


def test_refused_folder_is_one_line_not_one_per_file(stick, config, tmp_path):
    for i in range(3):
        stick.audio(f"bad\x01dir/t{i}.flac")
    report, text = run_import(stick, config, tmp_path)
    assert text.count("REFUSED") == 1 and "REFUSED playlists/bad\\u0001dir: name contains control characters" in text
    assert report["accepted"] == ["playlists/calm.yaml"]


def test_oversized_playlist_is_refused_before_parsing(stick, config, tmp_path):
    stick.playlist("huge.yaml", "name: x\n" + "# padding\n" * 120_000)
    report, text = run_import(stick, config, tmp_path)
    assert "REFUSED playlists/huge.yaml:" in text and "over 1048576 bytes" in text
    assert report["accepted"] == ["playlists/calm.yaml"]
