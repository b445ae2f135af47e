"""Durable file helpers shared by the state file, reports and USB exports.

A Raspberry Pi's SD card loses power without warning. A rename is only durable once the
directory that holds it is fsync'd, and a file's data only once the file is; these helpers
do both so callers cannot forget one (as Mopidy's state storage and MPD's StateFile do the
rename, plus the fsyncs they lack).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

#: Prefix of the temporary files `atomic_write_bytes` creates; a crash can leave one behind,
#: and `remove_stale_temps` cleans them up.
TEMP_PREFIX = ".tmp-"


class NotRegularFile(OSError):
    """A path names a FIFO, a device, a folder or a socket where a regular file was expected.

    `what` says which, in words ("a FIFO (named pipe)"), without the path.
    """

    def __init__(self, message: str, what: str) -> None:
        super().__init__(message)
        self.what = what


def kind_of(mode: int) -> str:
    """What an ``st_mode`` is: file, dir, symlink, device, fifo, socket or other."""
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


_KIND_WORDS = {"dir": "a folder", "device": "a device file", "fifo": "a FIFO (named pipe)", "socket": "a socket",
               "symlink": "a symbolic link", "other": "not a regular file"}


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read fd of the regular file `path`; anything else is refused before it can block.

    The path is checked with ``stat`` first, so a device or FIFO is never even opened
    (opening some devices has effects; opening a FIFO for reading waits for a writer),
    then opened ``O_NONBLOCK`` and checked again with ``fstat``, so a FIFO swapped in
    between cannot hang the caller either. Symlinks to regular files are followed.

    Raises:
        NotRegularFile: a FIFO, device, folder or socket. OSError: missing, unreadable.
    """
    kind = kind_of(os.stat(path).st_mode)
    if kind == "file":
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            kind = kind_of(os.fstat(fd).st_mode)
        except BaseException:
            os.close(fd)
            raise
        if kind == "file":
            return fd
        os.close(fd)
    what = _KIND_WORDS[kind]
    raise NotRegularFile(f"{os.fspath(path)} is {what}, not a regular file", what)


def check_replaceable(path: str | os.PathLike[str]) -> None:
    """Refuse, before writing, to replace anything at `path` but a regular file (or nothing).

    For outputs a person names (``report -o FILE``): a temp file renamed over a device
    node, a FIFO or a symlink would replace it (as root: ``/dev/full`` became a file).
    The path itself is looked at with ``lstat``: a symlink is refused, not followed.

    Raises:
        NotRegularFile: `path` is a symlink, device, FIFO, socket or folder.
    """
    try:
        kind = kind_of(os.lstat(path).st_mode)
    except FileNotFoundError:
        return
    if kind != "file":
        what = _KIND_WORDS[kind]
        raise NotRegularFile(f"{os.fspath(path)} is {what}, not a regular file", what)


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
