"""A stick laid out as clinicians make it, a data dir, and a tree snapshot for "nothing else changed"."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from player.config import load_config
from player.usb.sandbox import Account, Spawn
from tests.support.audio_files import write_audio
from tests.support.forked_child import fork_child, service_user_can_exec
from tests.support.privileges import UNPRIVILEGED_USER, is_root

CALM = """name: Calm
crossfade: 1s
phases:
  - name: settling
    duration: 1m
    tracks: [calm/*.flac]
"""


def playlist_yaml(*tracks: str, name: str = "Test") -> str:
    """A one-phase playlist naming `tracks` explicitly."""
    items = "\n".join(f"      - {t!r}" if not t.startswith("{") else f"      - {t}" for t in tracks)
    return f"name: {name}\ncrossfade: 1s\nphases:\n  - name: settling\n    duration: 1m\n    tracks:\n{items}\n"


class Stick:
    """A folder laid out like a stick: ``<root>/session-player/playlists/``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.playlists = root / "session-player" / "playlists"
        self.playlists.mkdir(parents=True)

    def audio(self, rel: str, seconds: float = 5.0) -> Path:
        return write_audio(self.playlists / rel, seconds)

    def playlist(self, name: str, text: str) -> Path:
        path = self.playlists / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def stick(tmp_path: Path) -> Stick:
    """A stick with one good playlist, calm.yaml, playing calm/a.flac and calm/b.flac."""
    s = Stick(tmp_path / "stick")
    s.audio("calm/a.flac", 5.0)
    s.audio("calm/b.flac", 6.0)
    s.playlist("calm.yaml", CALM)
    return s


def make_config(data_dir: Path, **usb: object):
    return load_config({"data_dir": str(data_dir), "room": "Room 3", "usb": {"reserve_bytes": 0, **usb}})


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def config(data_dir: Path):
    return make_config(data_dir)


def snapshot(root: Path, exclude: Path | None = None) -> dict[str, tuple]:
    """Every entry under `root` (links not followed) with its type, size and content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if exclude is not None and Path(dirpath) == exclude.parent:
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != exclude]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            if exclude is not None and path == exclude:
                continue
            st = path.lstat()
            digest = None
            if stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                digest = os.readlink(path)
            out[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), st.st_size if digest else 0, digest)
    return out


@pytest.fixture
def reachable() -> Iterator[Path]:
    """A folder the unprivileged checker can reach: as root, pytest's tmp_path is under a 0700 folder."""
    path = Path(tempfile.mkdtemp(prefix="session-player-usb-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def checker_account() -> Account | None:
    """Who the stick's checker runs as in these tests: nobody when root, else this user (None)."""
    return Account.named(UNPRIVILEGED_USER) if is_root() else None


def checker_spawn() -> Spawn | None:
    """The real exec when the checker's user can run this interpreter, else the same child forked."""
    from player.usb import child

    return None if service_user_can_exec() else fork_child(child.main)


def checker_data_dir(base: Path) -> Path:
    """``base/data``, owned by the checker's user (as the service user owns /var/lib/session-player)."""
    data = base / "data"
    data.mkdir()
    account = checker_account()
    if account is not None:
        os.chown(data, account.uid, account.gid)
    return data
