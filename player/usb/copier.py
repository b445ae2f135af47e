"""Copy files off the stick into staging, hashing as they stream, then verify by re-reading.

The stick is untrusted and may change under the copy (a clinician's laptop still writing,
or a hostile stick). The file is opened without following links and checked with ``fstat``
against the size the scan saw; after the copy the open file must still be that size with
the same modification and change times, and the path must still name the same inode. A file
swapped for a link, grown, shrunk or rewritten is refused with a line saying which, and its
partial copy removed: what is copied is exactly the file that was scanned. (On vfat the
times have 2 s resolution, so a same-size rewrite within 2 s is caught only by the probe
and signature checks that follow.)

SHA-256 is computed over the bytes read from the stick; after the copy is fsync'd its
pages are dropped from the cache (``posix_fadvise DONTNEED``) and the copy is read back
from the disk and hashed again, so an SD card that silently lost writes is caught
here rather than as a broken track in a session. Two files are copied at once: hashlib
and file I/O release the GIL, so a second core overlaps hashing with reading.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from player.background import lower_priority
from player.fsutil import kind_of
from player.usb.stick import UnsafePath, open_dir, open_file

CHUNK = 1024 * 1024
WORKERS = 2


class CopyFailed(OSError):
    """A file changed, vanished, or did not read back identical; the message says which."""


Progress = Callable[[str, int], None]


def _hash_fd(fd: int, buf: bytearray) -> str:
    digest = hashlib.sha256()
    view = memoryview(buf)
    while n := os.readv(fd, [buf]):
        digest.update(view[:n])
    return digest.hexdigest()


def hash_file(root_fd: int, rel: str) -> str:
    """SHA-256 of a plain file on the stick (for a dry run's signature check)."""
    fd = open_file(root_fd, rel)
    try:
        return _hash_fd(fd, bytearray(CHUNK))
    finally:
        os.close(fd)


def copy_one(root_fd: int, rel: str, dest: Path, size: int, progress: Progress | None = None) -> str:
    """Copy the stick file `rel` (expected `size` bytes) to the new file `dest`; return its SHA-256.

    Raises:
        UnsafePath: `rel` is not a plain file any more, or was replaced while it was copied.
        CopyFailed: it vanished, its size or times changed since the scan or while copying,
            or the copy does not read back identical.
    """
    try:
        src = open_file(root_fd, rel)
    except FileNotFoundError:
        raise CopyFailed(f"{rel} vanished after the stick was scanned") from None
    buf = bytearray(CHUNK)
    try:
        before = os.fstat(src)
        if before.st_size != size:
            raise CopyFailed(f"{rel} changed after the stick was scanned ({size} bytes then, {before.st_size} now)")
        sha = _copy_fd(src, rel, dest, size, buf, progress)
        _check_unchanged(root_fd, rel, src, before)
    finally:
        os.close(src)
    check = os.open(dest, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        again = _hash_fd(check, buf)
    finally:
        os.close(check)
    if again != sha:
        raise CopyFailed(f"{rel}: the copy did not read back identical (sha256 {again} != {sha})")
    return sha


def _copy_fd(src: int, rel: str, dest: Path, size: int, buf: bytearray, progress: Progress | None) -> str:
    """Stream `src` into the new file `dest` (fsync'd, dropped from the cache); its SHA-256."""
    view = memoryview(buf)
    digest = hashlib.sha256()
    done = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    dst = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        while n := os.readv(src, [buf]):
            done += n
            if done > size:
                raise CopyFailed(f"{rel} grew while it was copied (past the {size} bytes scanned)")
            digest.update(view[:n])
            out = view[:n]
            while out:
                out = out[os.write(dst, out):]
            if progress:
                progress(rel, n)
        if done != size:
            raise CopyFailed(f"{rel} shrank while it was copied ({done} of the {size} bytes scanned)")
        os.fsync(dst)
        os.posix_fadvise(dst, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(dst)
    return digest.hexdigest()


def _check_unchanged(root_fd: int, rel: str, src: int, before: os.stat_result) -> None:
    """`rel` still names the open file (not a link or another file), which kept its size and times."""
    parent, _, name = rel.rpartition("/")
    try:
        dfd = open_dir(root_fd, parent)
        try:
            now = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        finally:
            os.close(dfd)
    except FileNotFoundError:
        raise CopyFailed(f"{rel} vanished while it was copied") from None
    if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
        raise UnsafePath(f"{rel!r} was replaced while it was copied (now {kind_of(now.st_mode)})")
    after = os.fstat(src)
    if (after.st_size, after.st_mtime_ns, after.st_ctime_ns) != (before.st_size, before.st_mtime_ns,
                                                                 before.st_ctime_ns):
        raise CopyFailed(f"{rel} changed while it was copied ({before.st_size} bytes then, {after.st_size} now)")


def copy_all(root_fd: int, files: Iterable[tuple[str, int]], staging: Path,
             progress: Progress | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Copy every (rel, size) into `staging`/rel, two at a time.

    Returns:
        (sha256 by rel for the files copied, reason by rel for the files that failed).
        A failed file's partial copy is removed.
    """
    lock = threading.Lock()

    def locked_progress(rel: str, n: int) -> None:
        if progress:
            with lock:
                progress(rel, n)

    def one(item: tuple[str, int]) -> tuple[str, str | None, str | None]:
        rel, size = item
        try:
            return rel, copy_one(root_fd, rel, staging / rel, size, locked_progress), None
        except (UnsafePath, CopyFailed) as exc:
            with contextlib.suppress(OSError):
                (staging / rel).unlink()
            return rel, None, str(exc)

    hashes, failed = {}, {}
    # playback first: the copy threads (and their hashing) run at the lowest CPU and I/O priority
    with ThreadPoolExecutor(max_workers=WORKERS, initializer=lower_priority) as pool:
        for rel, sha, why in pool.map(one, files):
            if sha is not None:
                hashes[rel] = sha
            else:
                failed[rel] = why
    return hashes, failed
