"""Paths a careless (or hostile) person hands the CLI: devices, FIFOs and links.

`report -o` writes only onto a new name or a regular file (as root, a temp file renamed
over ``/dev/full`` once replaced the device); a FIFO as ``--config`` is refused at once
instead of hanging the command. Each runs as a real child process with a timeout, so the
old behaviour fails the test instead of hanging the run.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.records_factory import SESSION_ID, realistic_session

ROOT = Path(__file__).parents[2]


def cli(*args: str, timeout_s: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *args], capture_output=True, text=True,
                          timeout=timeout_s, cwd=ROOT)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    realistic_session().write(data_dir)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(data_dir), "room": "Room 3"}))
    return path


def _report(config_file: Path, output: Path) -> subprocess.CompletedProcess:
    return cli("report", SESSION_ID, "--config", str(config_file), "--format", "csv", "-o", str(output))


def test_report_o_writes_a_new_file_and_replaces_a_regular_one(config_file, tmp_path):
    new = tmp_path / "out" / "new.csv"
    assert _report(config_file, new).returncode == 0 and "Room 3" in new.read_text()
    old = tmp_path / "old.csv"
    old.write_text("yesterday")
    assert _report(config_file, old).returncode == 0 and "Room 3" in old.read_text()


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _symlink(path: Path) -> Path:
    target = path.with_name("target.txt")
    target.write_text("keep me")
    os.symlink(target.name, path)
    return path


def _device(path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # a twin of /dev/full
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize(("make", "what", "is_kind"), [
    (_fifo, "a FIFO (named pipe)", stat.S_ISFIFO),
    (_symlink, "a symbolic link", stat.S_ISLNK),
    (_device, "a device file", stat.S_ISCHR),
    (_folder, "a folder", stat.S_ISDIR),
], ids=["fifo", "symlink", "device", "folder"])
def test_report_o_never_replaces_what_is_not_a_regular_file(config_file, tmp_path, make, what, is_kind):
    output = make(tmp_path / "out.csv")
    done = _report(config_file, output)
    assert done.returncode == 1
    assert done.stderr == (f"session-player: error: will not replace {output}: it is {what}; -o writes a new file "
                           "or replaces a regular one\n")
    assert is_kind(os.lstat(output).st_mode)  # still what it was
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    if make is _symlink:
        assert (tmp_path / "target.txt").read_text() == "keep me"


def test_a_fifo_as_config_is_refused_at_once(tmp_path):
    fifo = _fifo(tmp_path / "config.yaml")
    done = cli("config", "--config", str(fifo), timeout_s=30)
    assert done.returncode == 1
    assert done.stderr == (f"session-player: error: {fifo}: the file is a FIFO (named pipe), not a regular file\n")


def test_a_folder_as_config_is_refused(tmp_path):
    done = cli("config", "--config", str(tmp_path))
    assert done.returncode == 1 and "the file is a folder, not a regular file" in done.stderr
