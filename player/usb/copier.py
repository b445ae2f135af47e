"""Copy files off the stick into staging, hashing as they stream, then verify by re-reading.

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

from player.usb.stick import UnsafePath, open_file

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
        UnsafePath: `rel` is not a plain file any more.
        CopyFailed: its size changed while copying or the copy does not read back identical.
    """
    src = open_file(root_fd, rel)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    digest = hashlib.sha256()
    done = 0
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dst = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            while n := os.readv(src, [buf]):
                done += n
                if done > size:
                    raise CopyFailed(f"{rel} grew while it was copied")
                digest.update(view[:n])
                out = view[:n]
                while out:
                    out = out[os.write(dst, out):]
                if progress:
                    progress(rel, n)
            if done != size:
                raise CopyFailed(f"{rel} is {done} bytes, the stick said {size}")
            os.fsync(dst)
            os.posix_fadvise(dst, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    sha = digest.hexdigest()
    check = os.open(dest, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        again = _hash_fd(check, buf)
    finally:
        os.close(check)
    if again != sha:
        raise CopyFailed(f"{rel}: the copy did not read back identical (sha256 {again} != {sha})")
    return sha


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
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for rel, sha, why in pool.map(one, files):
            if sha is not None:
                hashes[rel] = sha
            else:
                failed[rel] = why
    return hashes, failed
