"""Is a block device a stick we may mount, or part of a disk the system is using?

A Pi that boots from a USB SSD has its boot and root partitions on the USB bus, with vfat
and ext4 on them: exactly what the udev rule looks for. The rule skips Raspberry Pi OS's
own partition labels, but a cloned or relabelled disk would still match, so `usb-run`
checks before it mounts anything: a partition whose disk has any partition (or the disk
itself) mounted, or in use by a holder (LVM, dm-crypt, RAID), is refused. This also
refuses a stick that a desktop automounter has already mounted.

Pure over its inputs (a sysfs root and the text of /proc/self/mountinfo), so the tests
can give it fake trees, and the real root disk of the machine running them.
"""

from __future__ import annotations

from pathlib import Path

SYS_BLOCK = Path("/sys/class/block")
MOUNTINFO = Path("/proc/self/mountinfo")


def _mounts_by_devnum(mountinfo: str) -> dict[str, list[str]]:
    """``{"8:1": ["/media/x", ...]}`` from mountinfo lines (field 3 is major:minor, field 5 the mount point)."""
    mounts: dict[str, list[str]] = {}
    for line in mountinfo.splitlines():
        parts = line.split()
        if len(parts) >= 5:
            point = parts[4].replace("\\040", " ")
            mounts.setdefault(parts[2], []).append(point)
    return mounts


def _disk_of(name: str, sys_block: Path) -> str:
    """The whole disk a partition belongs to (its sysfs parent); a disk is its own."""
    node = sys_block / name
    if (node / "partition").exists():
        return node.resolve().parent.name
    return name


def _family(disk: str, sys_block: Path) -> list[str]:
    """The disk and all its partitions, by kernel name."""
    members = [disk]
    disk_node = (sys_block / disk).resolve()
    for child in sorted(disk_node.iterdir()) if disk_node.is_dir() else ():
        if (child / "partition").exists():
            members.append(child.name)
    return members


def in_use_reason(device: str, *, sys_block: Path = SYS_BLOCK, mountinfo: str | None = None) -> str | None:
    """Why `device` (``/dev/sda1`` or ``sda1``) must not be mounted as a stick, or None when it may.

    Args:
        device: the partition (or whole-disk stick) udev named.
        sys_block: sysfs's block class folder (a fake tree in tests).
        mountinfo: the text of /proc/self/mountinfo (read when None).
    """
    name = Path(device).name
    if not (sys_block / name).exists():
        return None  # not a kernel block device here: run_device reports that itself
    if mountinfo is None:
        mountinfo = MOUNTINFO.read_text()
    mounts = _mounts_by_devnum(mountinfo)
    disk = _disk_of(name, sys_block)
    for member in _family(disk, sys_block):
        node = sys_block / member
        devnum = (node / "dev").read_text().strip() if (node / "dev").exists() else ""
        if devnum in mounts:
            where = ", ".join(sorted(mounts[devnum]))
            if member == name:
                return (f"/dev/{name} is already mounted at {where} (by the system, or a desktop "
                        "automounter: use Raspberry Pi OS Lite, see docs/technician.md)")
            return f"/dev/{name} is on the disk /dev/{disk}, whose /dev/{member} is mounted at {where}: a system disk"
        holders = node / "holders"
        users = sorted(h.name for h in holders.iterdir()) if holders.is_dir() else []
        if users:
            return f"/dev/{member} (on the disk of /dev/{name}) is in use by {', '.join(users)}"
    return None
