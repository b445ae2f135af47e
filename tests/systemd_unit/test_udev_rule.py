"""The USB rule, evaluated by real udev (`udevadm test`) on a loop device dressed up as each kind of disk.

A rule file sorted just before ours sets the properties udev's builtins would have found
(bus, file system, label); `udevadm test` then runs every rule, ours included, and prints
the resulting properties: a stick must get SYSTEMD_WANTS=session-player-usb@<dev>.service,
the boot disk's partitions, an SD card, swap and a CD must not. Needs root (the rules go
into /run/udev/rules.d, which no udevd reads here) and udev installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULE = ROOT / "hardware" / "99-session-player-usb.rules"
RUN_RULES = Path("/run/udev/rules.d")
DEVICE = "loop0"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("udevadm") is None
                                or not Path(f"/sys/class/block/{DEVICE}").exists(),
                                reason="needs root, udev (apt install udev) and a loop device")

STICK = {"ID_BUS": "usb", "ID_FS_TYPE": "vfat", "ID_FS_USAGE": "filesystem", "ID_FS_LABEL": "MUSIC"}


@pytest.fixture
def udev_test():
    RUN_RULES.mkdir(parents=True, exist_ok=True)
    ours = RUN_RULES / "99-zz-test-session-player-usb.rules"
    fake = RUN_RULES / "99-zy-test-fake-device.rules"
    db = Path("/run/udev/data/b7:0")
    db_existed = db.exists()
    shutil.copyfile(RULE, ours)

    def run(props: dict[str, str], action: str = "add") -> str:
        assignments = ", ".join(f'ENV{{{k}}}="{v}"' for k, v in props.items())
        fake.write_text(f'KERNEL=="{DEVICE}", {assignments}\n' if props else "\n")
        out = subprocess.run(["udevadm", "test", f"--action={action}", f"/sys/class/block/{DEVICE}"],
                             capture_output=True, text=True, timeout=60)
        assert f"{ours}:" not in out.stdout + out.stderr, f"udev could not parse the rule:\n{out.stderr}"
        return out.stdout + out.stderr

    try:
        yield run
    finally:
        ours.unlink(missing_ok=True)
        fake.unlink(missing_ok=True)
        if not db_existed:
            db.unlink(missing_ok=True)


WANTS = f"SYSTEMD_WANTS=session-player-usb@{DEVICE}.service"


@pytest.mark.parametrize("props", [
    STICK,
    {**STICK, "ID_FS_TYPE": "exfat"},
    {**STICK, "ID_FS_TYPE": "ext4", "ID_FS_LABEL": "CLINIC"},
    {k: v for k, v in STICK.items() if k != "ID_FS_LABEL"},  # a stick without a label
], ids=["vfat", "exfat", "ext4", "no-label"])
def test_a_stick_starts_the_import_unit(udev_test, props):
    out = udev_test(props)
    assert WANTS in out and "UDISKS_IGNORE=1" in out


@pytest.mark.parametrize("props", [
    {**STICK, "ID_FS_LABEL": "bootfs"},  # Raspberry Pi OS Bookworm booted from a USB SSD
    {**STICK, "ID_FS_TYPE": "ext4", "ID_FS_LABEL": "rootfs"},
    {**STICK, "ID_FS_LABEL": "boot"},  # the same, Bullseye's label
    {"ID_FS_TYPE": "vfat", "ID_FS_USAGE": "filesystem", "ID_FS_LABEL": "MUSIC"},  # SD card reader: not USB
    {**STICK, "ID_FS_TYPE": "swap", "ID_FS_USAGE": "other"},
    {**STICK, "ID_FS_TYPE": "iso9660"},
    {**STICK, "ID_FS_TYPE": "ntfs"},
    {**STICK, "ID_FS_TYPE": "crypto_LUKS", "ID_FS_USAGE": "crypto"},
], ids=["bootfs", "rootfs", "boot", "not-usb", "swap", "cd", "ntfs", "luks"])
def test_the_rule_leaves_other_disks_alone(udev_test, props):
    assert WANTS not in udev_test(props)


def test_only_on_add(udev_test):
    assert WANTS not in udev_test(STICK, action="change")
    assert WANTS in udev_test(STICK, action="add")
