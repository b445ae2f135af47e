"""Files that are not playlists, and playlists built to hang or flood the validator.

The daemon may be asked to load a path a caller could not read itself, so nothing of a
file that is not a playlist may appear in an error; a FIFO, a device or a folder is
refused without opening it for a read that could block; globs never walk through links to
folders, and one playlist names at most `MAX_TRACKS` files.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from player.errors import PlaylistInvalid
from player.playlist.parse import MAX_TRACKS, Collector, EntrySpec
from player.playlist.resolve import GlobTooBig, TrackBudget, resolve_entry, walk_glob
from player.playlist.validate import check_playlist, load_playlist
from tests.support.audio_files import write_audio

SHADOW = ("root:$y$j9T$Qm9vYmFyU2VjcmV0SGFzaA$0123456789abcdefSECRET:19700:0:99999:7:::\n"
          "daemon:*:19700:0:99999:7:::\n"
          "staff:$6$saltsalt$ANOTHERSECRETHASHvalue:19700:0:99999:7:::\n")
TOKEN = "sp-" + "Zk3q9TOKENSECRET" + secrets.token_urlsafe(16) + "\n"
ENV = "DB_PASSWORD: hunter2SECRET\nAPI_KEY: abcSECRETdef\nname: looks like a playlist\n"


def _secret_files(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    """name -> (path, fragments that must never appear in a diagnostic)."""
    key = secrets.token_bytes(64)
    files = {
        "shadow": (SHADOW.encode(), ["SECRET", "Qm9vYmFy", "19700", "root", "daemon", "staff"]),
        "signing.key": (key, [key[:8].hex(), repr(key[:4])[2:-1]]),
        "web-token": (TOKEN.encode(), [TOKEN.strip(), "TOKENSECRET", "Zk3q9"]),
        "env.yaml": (ENV.encode(), ["hunter2", "SECRET", "DB_PASSWORD", "API_KEY"]),
        "latin1": (b"name: caf\xe9 SECRETlatin\nphases: []\n", ["SECRETlatin", "caf"]),
        "bad-yaml": (b"password: [unclosed SECRETyaml\n", ["SECRETyaml", "password"]),
        "tagged": (b"phases: !secret SECRETtag\n", ["SECRETtag", "!secret"]),
        "dupkey": (b"SECRETkey: 1\nSECRETkey: 2\n", ["SECRETkey"]),
    }
    out = {}
    for name, (data, fragments) in files.items():
        path = folder / name
        path.write_bytes(data)
        out[name] = (path, fragments)
    return out


@pytest.mark.parametrize("name", ["shadow", "signing.key", "web-token", "env.yaml", "latin1", "bad-yaml",
                                  "tagged", "dupkey"])
def test_a_file_that_is_not_a_playlist_leaks_nothing(tmp_path, name):
    path, fragments = _secret_files(tmp_path)[name]
    diagnostics = check_playlist(path)
    assert diagnostics and all(d.severity == "error" for d in diagnostics)
    assert all(d.message.startswith("not a playlist: ") for d in diagnostics), diagnostics
    with pytest.raises(PlaylistInvalid) as info:
        load_playlist(path)
    shown = "\n".join([str(info.value), *map(str, diagnostics)]).replace(str(path), "<path>")
    for fragment in fragments:
        assert fragment not in shown, f"{fragment!r} leaked: {shown}"


def test_not_a_playlist_is_one_error_with_the_reason(tmp_path):
    path, _ = _secret_files(tmp_path)["shadow"]
    (only,) = check_playlist(path)
    assert only.message == "not a playlist: a playlist is a YAML mapping with 'name' and 'phases'"
    path, _ = _secret_files(tmp_path)["signing.key"]
    (only,) = check_playlist(path)
    assert only.message.startswith("not a playlist: file is not UTF-8 text")


def _in_thread(fn, timeout_s: float = 20.0):
    """Run `fn` on a daemon thread; fail (instead of hanging the run) if it does not return."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), f"{fn} blocked for {timeout_s} s"
    return result[0]


def test_a_fifo_as_playlist_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (only,) = _in_thread(lambda: check_playlist(fifo))
    assert only.message == "not a playlist: the file is a FIFO (named pipe), not a regular file"


@pytest.mark.parametrize(("path", "what"), [("/dev/zero", "a device file"), ("/dev/null", "a device file"),
                                            (".", "a folder")])
def test_a_device_or_folder_as_playlist_is_refused(tmp_path, path, what):
    target = tmp_path if path == "." else Path(path)
    (only,) = _in_thread(lambda: check_playlist(target))
    assert only.message == f"not a playlist: the file is {what}, not a regular file"


def test_a_link_to_a_regular_playlist_still_loads(tmp_path):
    write_audio(tmp_path / "a.flac", 3.0)
    real = tmp_path / "real.yaml"
    real.write_text("name: x\ncrossfade: 0\nphases:\n  - name: onset\n    duration: 3s\n    tracks: [a.flac]\n")
    os.symlink(real.name, tmp_path / "link.yaml")
    assert load_playlist(tmp_path / "link.yaml", probe=False).name == "x"


def test_a_5000_digit_number_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "digits.yaml"
    path.write_text("name: x\nphases:\n  - name: onset\n    duration: " + "9" * 5000 + "\n")
    (only,) = check_playlist(path)
    assert only.line == 4 and only.message == "not a playlist: cannot read value: a number with too many digits"


def test_a_100000_track_playlist_is_refused_before_resolving_anything(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("name: huge\nphases:\n  - name: onset\n    duration: 1h\n    tracks: ["
                    + ", ".join(["a.flac"] * 100_000) + "]\n")
    (only,) = check_playlist(path)  # one error: not 100,000 "file not found"
    assert only.message == f"the playlist names 100,000 tracks; the limit is {MAX_TRACKS:,} per playlist"


def test_globs_past_the_track_limit_are_refused(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.flac").write_bytes(b"")
    out = Collector("p.yaml")
    budget = TrackBudget(limit=7)
    assert len(resolve_entry(tmp_path, EntrySpec("*.flac", 0.0, 3), out, budget)) == 5
    assert resolve_entry(tmp_path, EntrySpec("*.flac", 0.0, 4), out, budget) == []
    assert resolve_entry(tmp_path, EntrySpec("0.flac", 0.0, 5), out, budget) == []  # one error, then nothing
    assert [(d.line, d.message) for d in out.items] == [
        (4, "the playlist names more than 7 track files; the limit is 7 per playlist")]


def _loop_stick(root: Path) -> Path:
    """m/ with two tracks and two links to itself beside them (the issue's case 3)."""
    music = root / "m"
    write_audio(music / "1.flac", 3.0)
    write_audio(music / "sub" / "2.flac", 3.0)
    os.symlink(".", music / "a")
    os.symlink(".", music / "b")
    os.symlink("..", music / "sub" / "up")
    playlist = root / "loop.yaml"
    playlist.write_text("name: loop\ncrossfade: 1s\nphases:\n  - name: onset\n    duration: 5s\n"
                        "    tracks: [\"m/**/*.flac\"]\n")
    return playlist


def test_double_star_does_not_follow_links_to_folders(tmp_path):
    playlist = _loop_stick(tmp_path)
    # A child process, so the old behaviour (walking a -> . forever) fails by timeout, not by hanging pytest.
    out = subprocess.run([sys.executable, "-m", "player.cli", "check", str(playlist)], capture_output=True,
                         text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert out.returncode == 0, out.stdout + out.stderr
    tracks = [t.path.name for t in load_playlist(playlist).phases[0].tracks]
    assert tracks == ["1.flac", "2.flac"]


TREE = ["a.flac", "b.flac", ".hidden.flac", "x/c.flac", "x/y/d.flac", "x/.h/e.flac", "x/y/z/f.ogg", "10.flac",
        "2.flac", "notes.txt", "x/y/[1].flac"]


@pytest.mark.parametrize("pattern", ["*", "*.flac", "**", "**/*.flac", "x/**", "x/**/*.flac", "x/*/*.flac",
                                     "?.flac", "[ab].flac", "x/**/z/*", ".*", "x/y/*", "nothing/*", "**/**/*.ogg",
                                     "x/y/[[]1].flac", "*/y"])
def test_walk_glob_matches_what_glob_glob_matches_without_links(tmp_path, pattern):
    import glob

    for rel in TREE:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    expected = sorted(glob.glob(pattern, root_dir=tmp_path, recursive=True))
    assert sorted(walk_glob(tmp_path, pattern)) == [p.rstrip("/") for p in expected if p]  # glob: 'x/' for x


def test_walk_glob_limits_names_matches_and_time(tmp_path):
    for i in range(50):
        (tmp_path / f"{i}.flac").write_bytes(b"")
    with pytest.raises(GlobTooBig, match="looks at more than 20 names"):
        walk_glob(tmp_path, "*.flac", max_entries=20)
    with pytest.raises(GlobTooBig, match="matches more than 10 files"):
        walk_glob(tmp_path, "*.flac", max_matches=11)
    ticks = iter(range(0, 1000, 10))
    with pytest.raises(GlobTooBig, match="took more than 5 s"):
        walk_glob(tmp_path, "**/*.flac", max_s=5, clock=lambda: next(ticks))


def test_a_glob_past_its_limit_is_a_playlist_error(tmp_path, monkeypatch):
    for i in range(30):
        (tmp_path / "m" / str(i)).mkdir(parents=True)
    monkeypatch.setattr("player.playlist.resolve.MAX_GLOB_ENTRIES", 10)
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nphases:\n  - name: onset\n    duration: 1m\n    tracks: ['m/**/*.flac']\n")
    (only,) = check_playlist(path)
    assert only.line == 5 and only.message == "m/**/*.flac looks at more than 10 names; the limit is 10"
