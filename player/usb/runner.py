"""What the udev-started unit does with a plugged stick: mount, import, report, export, unmount.

The partition is mounted read-only with nosuid,nodev,noexec into a private folder under
``/run/session-player/usb/`` (ext4 also with ``noload``, so not even its journal is
replayed; vfat with ``utf8`` and exfat with ``iocharset=utf8``, because the kernel's
default character set for them may be ASCII, and then a name such as "Gymnopédie.flac"
cannot be opened). The mount folders are 0711: the stick's checker, the service user,
passes through them (`player.usb.confined`), nobody lists them. Only to write the report
(and exports, when ``session-player/EXPORT`` exists) is it mounted again read-write, still
nosuid,nodev,noexec. Then sync and unmount; a stick pulled at any point leaves the library
as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import subprocess
from pathlib import Path

from player.config import Config
from player.errors import ImportRefused
from player.usb.blockdev import in_use_reason
from player.usb.confined import import_confined
from player.usb.export import export_reports
from player.usb.importer import write_stick_report
from player.usb.plan import printable
from player.usb.sandbox import SERVICE_USER, Account, Spawn
from player.usb.status import StatusReporter
from player.usb.stick import EXPORT_FLAG, STICK_DIR, is_plain_file

log = logging.getLogger(__name__)

MOUNT_ROOT = Path("/run/session-player/usb")
FILESYSTEMS = ("vfat", "exfat", "ext4")
SAFE_OPTIONS = "nosuid,nodev,noexec"
# File names on FAT and exFAT are UTF-16 on disk; these make the kernel give them to us as UTF-8.
NAME_OPTIONS = {"vfat": "utf8", "exfat": "iocharset=utf8"}


def mount_options(fstype: str, writable: bool) -> str:
    """Mount options for a stick partition (pure; see the module docstring)."""
    opts = ("rw," if writable else "ro,") + SAFE_OPTIONS
    if fstype in NAME_OPTIONS:
        opts += "," + NAME_OPTIONS[fstype]
    if fstype == "ext4" and not writable:
        opts += ",noload"
    return opts


def _fstype(device: str) -> str:
    out = subprocess.run(["blkid", "-o", "value", "-s", "TYPE", device], capture_output=True, text=True,
                         timeout=30)
    return out.stdout.strip()


def _mount(device: str, fstype: str, point: Path, writable: bool) -> None:
    subprocess.run(["mount", "-t", fstype, "-o", mount_options(fstype, writable), device, str(point)],
                   check=True, capture_output=True, timeout=60)


def _umount(point: Path) -> None:
    if subprocess.run(["umount", str(point)], capture_output=True, timeout=60).returncode != 0:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=60)


def _write_back(device: str, fstype: str, point: Path, config: Config, report: dict) -> None:
    """Remount read-write only to write the report (and exports when asked), then sync."""
    wants_export = is_plain_file(point, f"{STICK_DIR}/{EXPORT_FLAG}")
    has_folder = (point / STICK_DIR).is_dir() and not (point / STICK_DIR).is_symlink()
    _umount(point)
    if has_folder:
        _mount(device, fstype, point, writable=True)
        if wants_export:
            report["exported"] = export_reports(point, config.data_dir)
        write_stick_report(point, report)
        os.sync()


def _account(user: str) -> Account | None:
    """The service user the stick's checker runs as; None when this process is not root (it stays itself)."""
    if os.geteuid() != 0:
        return None
    try:
        return Account.named(user)
    except KeyError:
        raise ImportRefused(f"no user {user!r} to read the stick as (usb-run --user)") from None


def run_device(device: str, config: Config, *, mount_root: Path = MOUNT_ROOT, user: str = SERVICE_USER,
               spawn: Spawn | None = None) -> dict:
    """Import from (and maybe export to) the stick partition `device`; returns the import report.

    This process (root) only mounts, commits and writes back: the stick's contents are read,
    parsed and probed by `player.usb.confined`'s child as `user`, with no capabilities.
    Once the import has run, nothing raises: a failure to write back sets ``report_error``.
    `spawn` starts the child (default `sandbox.exec_child()`; see `run_child`).

    Raises:
        ImportRefused: not a block device, on a disk the system uses (`blockdev.in_use_reason`),
            not vfat/exfat/ext4, it would not mount, or there is no `user`.
    """
    try:
        if not stat.S_ISBLK(os.stat(device).st_mode):
            raise ImportRefused(f"{device} is not a block device")
    except FileNotFoundError:
        raise ImportRefused(f"{device} does not exist (stick pulled?)") from None
    reason = in_use_reason(device)
    if reason:
        raise ImportRefused(f"not a stick, left alone: {reason}")
    fstype = _fstype(device)
    if fstype not in FILESYSTEMS:
        raise ImportRefused(f"{device}: file system {fstype or 'unknown'!r} is not one of {', '.join(FILESYSTEMS)}")
    account = _account(user)
    os.makedirs(mount_root, mode=0o711, exist_ok=True)
    point = mount_root / Path(device).name
    point.mkdir(mode=0o711, exist_ok=True)
    for folder in (mount_root, point):   # the checker (the service user) must pass through, never list
        with contextlib.suppress(OSError):
            folder.chmod(0o711)
    status = StatusReporter(config.data_dir)
    try:
        try:
            _mount(device, fstype, point, writable=False)
        except subprocess.CalledProcessError as exc:
            raise ImportRefused(f"cannot mount {device}: {exc.stderr.decode(errors='replace').strip()}") from None
        try:
            report = import_confined(point, config, account=account, status=status, spawn=spawn)
        except OSError as exc:
            raise ImportRefused(f"import from {device} failed: {exc}; the library is unchanged") from None
        try:  # the library may have switched: a pulled stick or a full one must not turn that into a crash
            _write_back(device, fstype, point, config, report)
        except Exception as exc:  # noqa: BLE001 - one line in the journal and in the returned report
            report["report_error"] = f"the import finished but the stick was not written: {printable(str(exc))}"
            log.error("%s: %s", device, report["report_error"])
        return report
    finally:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if os.path.ismount(point):
                _umount(point)
        with contextlib.suppress(OSError):
            point.rmdir()
