"""A local user outside the session-player group is told to join it, never shown a traceback.

As root the checks run in a child that became ``nobody`` (tests/support/privileges.py); the
service's folders are modelled by root-owned 0750 folders in a world-searchable one.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import player.config
from player.cli import main
from tests.support.privileges import is_root, run_unprivileged

pytestmark = pytest.mark.skipif(not is_root(), reason="modelling another user's folders needs root")


@pytest.fixture
def public_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="outside-group-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def _cli(argv: list[str]) -> tuple[int, str]:
    """The CLI in this process, its stderr caught."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def _as_nobody(argv: list[str]) -> tuple[int, str]:
    _cli(argv)                 # as root first: the modules it imports late are loaded (nobody cannot read /root)
    return run_unprivileged(lambda: _cli(argv))


def test_status_with_the_service_socket_folder_closed_to_the_user(public_dir: Path, monkeypatch) -> None:
    run_dir = public_dir / "run"
    run_dir.mkdir(mode=0o750)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(run_dir / "control.sock"))
    cfg = public_dir / "config.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(public_dir / "data")}))
    cfg.chmod(0o644)
    monkeypatch.setattr(player.config, "SERVICE_RUNTIME_DIR", run_dir)
    try:
        code, err = _as_nobody(["status", "--config", str(cfg)])
    finally:
        server.close()
    assert code == 1 and "add your user to the session-player group" in err, err
    assert "Traceback" not in err


def test_a_config_the_user_may_not_read(public_dir: Path) -> None:
    cfg = public_dir / "config.yaml"
    cfg.write_text("room: Room 3\n")
    cfg.chmod(0o640)
    code, err = _as_nobody(["status", "--config", str(cfg)])
    assert code == 1 and "Permission denied; add your user to the session-player group" in err, err
    closed = public_dir / "etc"
    closed.mkdir(mode=0o750)
    code, err = _as_nobody(["pause", "--config", str(closed / "config.yaml")])
    assert code == 1 and "add your user to the session-player group" in err and "Traceback" not in err, err
