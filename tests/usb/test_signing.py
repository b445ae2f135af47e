"""Signed playlists: `session-player sign`, then import with usb.require_signature."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.cli import main
from player.errors import ImportRefused
from player.usb import signing
from player.usb.importer import import_stick
from tests.usb.conftest import make_config


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.key"
    signing.make_key(path)
    return path


def signed_config(data_dir: Path, key: Path):
    return make_config(data_dir, require_signature=True, key_file=str(key))


def test_signed_playlist_is_accepted(stick, data_dir, key, capsys):
    assert main(["sign", str(stick.playlists / "calm.yaml"), "--key", str(key)]) == 0
    assert "signed calm.yaml and its 2 files" in capsys.readouterr().out
    report = import_stick(stick.root, signed_config(data_dir, key))
    assert report["accepted"] == ["playlists/calm.yaml"] and report["refusals"] == []


def test_unsigned_playlist_is_refused(stick, data_dir, key):
    report = import_stick(stick.root, signed_config(data_dir, key))
    assert report["refusals"] == [{"subject": "playlists/calm.yaml",
                                   "reason": "unsigned: no calm.yaml.sig and usb.require_signature is on"}]
    assert report["result"] == "unchanged"


@pytest.mark.parametrize("tamper", ["playlist", "audio", "signature", "other key"])
def test_tampered_playlist_is_refused(stick, data_dir, key, tmp_path, tamper):
    assert main(["sign", str(stick.playlists / "calm.yaml"), "--key", str(key)]) == 0
    if tamper == "playlist":
        (stick.playlists / "calm.yaml").write_text((stick.playlists / "calm.yaml").read_text().replace("1m", "2m"))
    elif tamper == "audio":
        stick.audio("calm/b.flac", 9.0)  # same name, other content
    elif tamper == "signature":
        sig = stick.playlists / "calm.yaml.sig"
        sig.write_text(sig.read_text()[:-3] + "00\n")
    else:
        key = tmp_path / "other.key"
        signing.make_key(key)
    for dry_run in (True, False):
        report = import_stick(stick.root, signed_config(data_dir, key), dry_run=dry_run)
        assert report["accepted"] == []
        assert report["refusals"][0]["subject"] == "playlists/calm.yaml"
        assert "signature does not match" in report["refusals"][0]["reason"]


def test_new_key_is_private_and_never_overwritten(tmp_path, capsys):
    key = tmp_path / "k"
    (tmp_path / "p.yaml").write_text("name: x\n")
    main(["sign", str(tmp_path / "p.yaml"), "--key", str(key), "--new-key"])
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) == 64
    with pytest.raises(FileExistsError):
        signing.make_key(key)


def test_short_key_is_refused(tmp_path):
    (tmp_path / "k").write_text("short")
    with pytest.raises(ImportRefused, match="too short"):
        signing.load_key(tmp_path / "k")


def test_message_binds_paths_and_hashes():
    a = signing.message(b"p", {"x.flac": "11", "y.flac": "22"})
    assert a != signing.message(b"p", {"x.flac": "22", "y.flac": "11"})
    assert a != signing.message(b"q", {"x.flac": "11", "y.flac": "22"})
    assert signing.verify(b"k" * 16, signing.sign(b"k" * 16, b"p", {}).encode(), b"p", {}) is None
    assert "not a session-player signature" in signing.verify(b"k" * 16, b"\xff", b"p", {})
