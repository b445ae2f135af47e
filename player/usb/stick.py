"""Reading and writing an untrusted stick without ever following a link off it.

Every path is walked one component at a time from a directory file descriptor with
``O_NOFOLLOW``, so a symlink anywhere (``session-player -> /``, ``music -> /etc``) ends
the walk instead of leading the player's writes or reads elsewhere. Files are opened
``O_NONBLOCK`` so a FIFO swapped in cannot hang the import, then checked with ``fstat``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from player.fsutil import kind_of, write_all
from player.usb.plan import Entry

#: The stick's folder for the player, its playlists, and the files the player writes.
STICK_DIR = "session-player"
PLAYLISTS_DIR = "playlists"
EXPORT_FLAG = "EXPORT"
REPORT_TXT = "import-report.txt"
REPORT_JSON = "import-report.json"
REPORTS_DIR = "reports"
PLAYLIST_SUFFIXES = (".yaml", ".yml")
SIG_SUFFIX = ".sig"
MAX_DEPTH = 16

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafePath(OSError):
    """A path on the stick is a link, not a folder/file, or otherwise not safe to use."""


def open_dir(root: int | str | os.PathLike[str], rel: str = "", *, create: bool = False) -> int:
    """A directory fd for `rel` under `root` (a path or a dir fd), never following a link.

    The caller closes the returned fd; a `root` fd stays open.

    Args:
        create: make missing folders (for writing reports/exports on the stick).

    Raises:
        UnsafePath: a component is a link or not a folder. FileNotFoundError: missing.
    """
    if isinstance(root, int):
        fd = os.dup(root)
    else:
        fd = os.open(os.fspath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in [p for p in rel.split("/") if p]:
            if part in (".", ".."):
                raise UnsafePath(f"{rel!r} is not a plain relative path")
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafePath(f"{part!r} in {rel!r} is a link or not a folder") from None
                raise
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_file(root_fd: int, rel: str) -> int:
    """Read fd of the regular, singly linked file `rel` under the folder `root_fd`.

    Raises:
        UnsafePath: a link, FIFO, device, hard link or folder instead of a plain file.
    """
    parent, _, name = rel.rpartition("/")
    dfd = open_dir(root_fd, parent)
    try:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePath(f"{rel!r} is a symbolic link") from None
            raise
    finally:
        os.close(dfd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        raise UnsafePath(f"{rel!r} is not a plain file ({kind_of(st.st_mode)}, {st.st_nlink} links)")
    return fd


def read_small(root_fd: int, rel: str, max_bytes: int) -> bytes:
    """The whole of a small plain file (a playlist, a signature), refusing it if larger."""
    fd = open_file(root_fd, rel)
    try:
        data = b""
        while len(data) <= max_bytes:
            chunk = os.read(fd, 65536)
            if not chunk:
                return data
            data += chunk
        raise UnsafePath(f"{rel!r} is over {max_bytes} bytes")
    finally:
        os.close(fd)


def scan(root_fd: int, max_entries: int) -> tuple[dict[str, Entry], bool]:
    """Every entry under the folder `root_fd` (``lstat`` only; links are listed, not followed).

    Returns:
        (entries by rel path, complete); ``complete`` is False when more than
        `max_entries` were found (the walk stops there) or folders nest deeper than
        `MAX_DEPTH`.
    """
    entries: dict[str, Entry] = {}
    complete = True

    def walk(fd: int, prefix: str, depth: int) -> None:
        nonlocal complete
        with os.scandir(fd) as it:
            names = sorted(e.name for e in it)
        for name in names:
            if len(entries) >= max_entries:
                complete = False
                return
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            rel = prefix + name
            entry = Entry(rel, kind_of(st.st_mode), st.st_size, st.st_nlink)
            entries[rel] = entry
            if entry.kind == "dir":
                if depth >= MAX_DEPTH:
                    complete = False
                    continue
                sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
                try:
                    walk(sub, rel + "/", depth + 1)
                finally:
                    os.close(sub)

    walk(root_fd, "", 0)
    return entries, complete


def write_atomic(dir_fd: int, name: str, data: bytes) -> None:
    """Write `name` in the folder `dir_fd` via temp + fsync + rename + fsync-dir.

    The temp name is random and created ``O_EXCL``; the rename replaces whatever `name`
    was (a planted link is replaced, never followed).
    """
    tmp = f".tmp-{name}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    os.fsync(dir_fd)


def is_plain_file(root: Path, rel: str) -> bool:
    """True when `rel` under `root` is a plain file reached without links (e.g. EXPORT)."""
    parent, _, name = rel.rpartition("/")
    try:
        fd = open_dir(root, parent)
    except OSError:
        return False
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return False
    finally:
        os.close(fd)
    return stat.S_ISREG(st.st_mode)


@contextlib.contextmanager
def opened_dir(root: int | str | os.PathLike[str], rel: str = "", *, create: bool = False) -> Iterator[int]:
    """`open_dir` as a context manager."""
    fd = open_dir(root, rel, create=create)
    try:
        yield fd
    finally:
        os.close(fd)
