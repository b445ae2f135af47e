"""usb-run never mounts a disk the system uses: fake sysfs trees for each case, and this machine's root disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from player.errors import ImportRefused
from player.usb.blockdev import in_use_reason
from player.usb.runner import run_device


def fake_sysfs(tmp_path: Path, disks: dict[str, list[str]], holders: dict[str, list[str]] | None = None) -> Path:
    """A /sys/class/block whose entries link to /sys/devices/.../<disk>/<partition>, as the kernel's do."""
    devices = tmp_path / "devices"
    block = tmp_path / "class-block"
    block.mkdir()
    major = 8
    for disk, partitions in disks.items():
        node = devices / disk
        node.mkdir(parents=True)
        (node / "dev").write_text(f"{major}:0\n")
        (node / "holders").mkdir()
        (block / disk).symlink_to(node)
        for minor, part in enumerate(partitions, start=1):
            pnode = node / part
            pnode.mkdir()
            (pnode / "dev").write_text(f"{major}:{minor}\n")
            (pnode / "partition").write_text(f"{minor}\n")
            (pnode / "holders").mkdir()
            (block / part).symlink_to(pnode)
        major += 8
    for name, names in (holders or {}).items():
        for holder in names:
            (block / name / "holders" / holder).mkdir()
    return block


def mountinfo(*mounts: tuple[str, str]) -> str:
    return "".join(f"{30 + i} 1 {devnum} / {point} rw,relatime - ext4 /dev/x rw\n"
                   for i, (devnum, point) in enumerate(mounts))


@pytest.fixture
def sysfs(tmp_path):
    # sda: a USB SSD the Pi boots from; sdb: a clinician's stick; sdc: a stick without a partition table
    return fake_sysfs(tmp_path, {"sda": ["sda1", "sda2"], "sdb": ["sdb1"], "sdc": []})


BOOTED_FROM_USB = mountinfo(("8:1", "/boot/firmware"), ("8:2", "/"))


def test_a_stick_nobody_uses_may_be_mounted(sysfs):
    assert in_use_reason("/dev/sdb1", sys_block=sysfs, mountinfo=BOOTED_FROM_USB) is None
    assert in_use_reason("/dev/sdc", sys_block=sysfs, mountinfo=BOOTED_FROM_USB) is None


def test_both_partitions_of_the_boot_disk_are_refused(sysfs):
    for part in ("sda1", "sda2"):
        reason = in_use_reason(f"/dev/{part}", sys_block=sysfs, mountinfo=BOOTED_FROM_USB)
        assert reason and "mounted" in reason
    reason = in_use_reason("/dev/sda1", sys_block=sysfs, mountinfo=mountinfo(("8:2", "/")))
    assert "a system disk" in reason and "/dev/sda2 is mounted at /" in reason


def test_a_stick_a_desktop_automounter_already_mounted_is_refused(sysfs):
    reason = in_use_reason("/dev/sdb1", sys_block=sysfs, mountinfo=mountinfo(("16:1", "/media/admin/MUSIC")))
    assert "already mounted at /media/admin/MUSIC" in reason and "Lite" in reason
    assert in_use_reason("/dev/sdc", sys_block=sysfs, mountinfo=mountinfo(("24:0", "/media/x"))) is not None


def test_a_partition_held_by_lvm_or_dm_crypt_is_refused(tmp_path):
    block = fake_sysfs(tmp_path, {"sdb": ["sdb1", "sdb2"]}, holders={"sdb2": ["dm-0"]})
    assert "in use by dm-0" in in_use_reason("/dev/sdb1", sys_block=block, mountinfo="")


def test_mount_points_with_spaces_are_named_as_the_kernel_escapes_them(sysfs):
    reason = in_use_reason("sdb1", sys_block=sysfs, mountinfo=mountinfo(("16:1", "/media/NO\\040NAME")))
    assert "/media/NO NAME" in reason


def _root_block_device() -> str | None:
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        parts = line.split()
        if parts[4] == "/":
            source = parts[parts.index("-") + 2]
            if source.startswith("/dev/") and os.path.exists(source) and stat.S_ISBLK(os.stat(source).st_mode):
                return source
    return None


def test_this_machines_root_disk_is_refused_for_real(tmp_path, config):
    root = _root_block_device()
    if root is None:
        pytest.skip("the root file system here is not on a block device (overlay or tmpfs)")
    assert in_use_reason(root) is not None
    with pytest.raises(ImportRefused, match="not a stick, left alone"):
        run_device(root, config, mount_root=tmp_path / "m")
    assert not (tmp_path / "m").exists()  # refused before anything was made or mounted
