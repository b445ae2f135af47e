"""Real stick file systems: loop-mounted images, and the whole `usb-run` path on a loop device.

Needs root and loop devices; vfat also needs the kernel's vfat driver (not every sandbox
has it: that test skips saying so). ext4 (also a stick file system the unit accepts) is
used for the full mount -> import -> export -> report -> unmount run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from player.errors import ImportRefused
from player.usb.importer import import_stick
from player.usb.runner import mount_options, run_device
from tests.support.privileges import UNPRIVILEGED_USER, loop_mounts
from tests.support.records_factory import SESSION_ID, realistic_session
from tests.usb.conftest import CALM, checker_data_dir, checker_spawn, make_config

_LOOP, _WHY_NOT = loop_mounts()  # the same check pytest's header reports (tests/conftest.py)
needs_root = pytest.mark.skipif(not _LOOP, reason=f"loop devices and mount need root: {_WHY_NOT}")


def sh(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@needs_root
def test_import_from_loop_mounted_vfat(stick, config, tmp_path):
    image = tmp_path / "stick.img"
    assert sh("mkfs.vfat", "-C", str(image), "16384").returncode == 0
    assert sh("mcopy", "-s", "-i", str(image), str(stick.root / "session-player"), "::/").returncode == 0
    point = tmp_path / "mnt"
    point.mkdir()
    mounted = sh("mount", "-o", "loop," + mount_options("vfat", writable=False), str(image), str(point))
    if mounted.returncode != 0:
        pytest.skip(f"this kernel cannot mount vfat images ({mounted.stderr.strip().splitlines()[0]}); "
                    "the ext4 loop test and the directory tests cover the import")
    try:
        report = import_stick(point, config)
    finally:
        sh("umount", str(point))
    assert report["result"] == "imported" and report["accepted"] == ["playlists/calm.yaml"]


@needs_root
def test_vfat_names_beyond_ascii_import(stick, config, tmp_path):
    """A FAT stick mounted without utf8 cannot open "Gymnopédie.flac" where the kernel defaults to ASCII."""
    stick.audio("calm/Gymnopédie 1.flac", 5.0)
    stick.playlist("calm.yaml", CALM)
    image = tmp_path / "stick.img"
    assert sh("mkfs.vfat", "-C", str(image), "16384").returncode == 0
    assert sh("mcopy", "-s", "-i", str(image), str(stick.root / "session-player"), "::/").returncode == 0
    point = tmp_path / "mnt"
    point.mkdir()
    mounted = sh("mount", "-o", "loop," + mount_options("vfat", writable=False), str(image), str(point))
    if mounted.returncode != 0:
        pytest.skip(f"this kernel cannot mount vfat images ({mounted.stderr.strip().splitlines()[0]})")
    try:
        report = import_stick(point, config)
    finally:
        sh("umount", str(point))
    assert report["result"] == "imported"
    assert (config.data_dir / "library" / "current" / "calm" / "Gymnopédie 1.flac").exists()


@needs_root
def test_usb_run_on_an_ext4_loop_device(stick, reachable, tmp_path):
    """The checker runs as nobody (`run_device`'s user), so the data and mount folders are where it can reach."""
    config = make_config(checker_data_dir(reachable))
    (stick.root / "session-player" / "EXPORT").touch()
    realistic_session().write(config.data_dir)
    image = tmp_path / "stick.img"
    made = sh("mkfs.ext4", "-q", "-d", str(stick.root), str(image), "32M")
    if made.returncode != 0:
        pytest.skip(f"mkfs.ext4 -d unavailable: {made.stderr.strip()}")
    attach = sh("losetup", "-f", "--show", str(image))
    if attach.returncode != 0:
        pytest.skip(f"no free loop device: {attach.stderr.strip()}")
    device = attach.stdout.strip()
    point = tmp_path / "check"
    point.mkdir()
    try:
        report = run_device(device, config, mount_root=reachable / "private", user=UNPRIVILEGED_USER,
                            spawn=checker_spawn())
        assert report["result"] == "imported" and len(report["exported"]) == 4
        assert not os.path.ismount(reachable / "private" / Path(device).name)  # unmounted afterwards
        assert sh("mount", "-o", "ro", device, str(point)).returncode == 0
        try:
            text = (point / "session-player" / "import-report.txt").read_text()
            assert "ACCEPTED playlists/calm.yaml" in text and "exported: 4 files" in text
            room = point / "session-player" / "reports" / "Room 3"
            assert json.loads((room / f"{SESSION_ID}.json").read_text())["session_id"] == SESSION_ID
        finally:
            sh("umount", str(point))
    finally:
        sh("losetup", "-d", device)
    assert (config.data_dir / "library" / "current" / "calm" / "a.flac").exists()


def test_usb_run_refuses_what_is_not_a_block_device(tmp_path, config):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ImportRefused, match="not a block device"):
        run_device(str(tmp_path / "file"), config, mount_root=tmp_path / "m")
    with pytest.raises(ImportRefused, match="does not exist"):
        run_device(str(tmp_path / "gone"), config, mount_root=tmp_path / "m")


def test_mount_options():
    assert mount_options("vfat", writable=False) == "ro,nosuid,nodev,noexec,utf8"
    assert mount_options("ext4", writable=False) == "ro,nosuid,nodev,noexec,noload"
    assert mount_options("exfat", writable=True) == "rw,nosuid,nodev,noexec,iocharset=utf8"
