"""Durable file helpers shared by the state file, reports and USB exports.

A Raspberry Pi's SD card loses power without warning. A rename is only durable once the
directory that holds it is fsync'd, and a file's data only once the file is; these helpers
do both so callers cannot forget one (as Mopidy's state storage and MPD's StateFile do the
rename, plus the fsyncs they lack).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

#: Prefix of the temporary files `atomic_write_bytes` creates; a crash can leave one behind,
#: and `remove_stale_temps` cleans them up.
TEMP_PREFIX = ".tmp-"


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """fsync a directory so renames and file creations inside it survive a power cut."""
    fd = os.open(os.fspath(path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def make_dirs_durable(path: str | os.PathLike[str]) -> None:
    """Create `path` and any missing parents, fsyncing each parent that gained an entry."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    for created in reversed(missing):
        fsync_dir(created.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` so that after a crash it holds either the old or new bytes.

    Writes a temp file in the same directory (a rename is atomic only within one file
    system), fsyncs it, renames it over `path` and fsyncs the directory. Creates missing
    parent directories.

    Args:
        path: destination file.
        data: the complete new contents.
        mode: permission bits of the new file.
    """
    path = Path(path)
    make_dirs_durable(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX + path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int = 0o644) -> None:
    """`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def remove_stale_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Delete temp files a crash left behind for `path`; return what was removed."""
    path = Path(path)
    removed = []
    if not path.parent.is_dir():
        return removed
    for stale in path.parent.glob(TEMP_PREFIX + path.name + ".*"):
        with contextlib.suppress(OSError):
            stale.unlink()
            removed.append(stale)
    return removed
