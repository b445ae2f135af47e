"""The music library as generations behind a symlink: always entirely old or entirely new.

Layout under ``<data_dir>/library/``::

    gen-000007/            one complete import (playlists + audio, same folders as the stick)
    gen-000008/
    current -> gen-000008  what the daemon plays from (flipped with one atomic rename)
    previous -> gen-000007 kept for `session-player library rollback`
    pending -> gen-000009  staged while a session played; `apply_pending` makes it current
    .staging-<id>/         an import in progress; removed by `recover_library` after a crash
    .lock                  flock held by whoever changes the library

A generation directory is only renamed into place after every file and folder in it is
fsync'd, and a symlink is only flipped by ``rename`` of a fresh link over it followed by an
fsync of the folder, so a power cut at any instant leaves ``current`` naming a whole
generation. A running session keeps playing: its tracks are resolved paths into its own
generation, which stays on disk as ``previous``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from player.config import SESSION_ACTIVE_FILE
from player.control.client import daemon_session_active
from player.errors import ImportRefused
from player.fsutil import fsync_dir, make_dirs_durable
from player.playlist.library import GENERATION, MANIFEST, library_dir, link_target

log = logging.getLogger(__name__)

LINKS = ("current", "previous", "pending")
STAGING_PREFIX = ".staging-"


def session_is_active(config) -> bool:
    """Whether the running daemon has a session (playing, paused, faulted), asked over its control socket.

    The daemon's own saved state is private to it; the import asks it instead. When no
    daemon answers, the file it publishes for this (``session-active.json``) says whether a
    session was cut short and will resume.
    """
    answer = daemon_session_active(config.client_socket_path)
    return (Path(config.data_dir) / SESSION_ACTIVE_FILE).exists() if answer is None else answer


@contextlib.contextmanager
def locked(data_dir: str | os.PathLike[str], *, wait: bool = True) -> Iterator[Path]:
    """Hold the library lock; yields the library folder.

    flock is released by the kernel when a process dies, so a kill -9 never leaves it held.

    Raises:
        BlockingIOError: `wait` is False and an import holds the lock.
    """
    lib = library_dir(data_dir)
    make_dirs_durable(lib)
    fd = os.open(lib / ".lock", os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _adopt_owner(lib, (lib, lib / ".lock"))
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        yield lib
    finally:
        os.close(fd)


def _set_link(lib: Path, link: str, target: str | None) -> None:
    """Point `link` at generation `target` (None removes it) with one atomic rename."""
    if target is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lib / link)
    else:
        tmp = lib / f".tmp-link-{link}-{secrets.token_hex(4)}"
        os.symlink(target, tmp)
        os.replace(tmp, lib / link)
    fsync_dir(lib)


def recover_library(data_dir: str | os.PathLike[str]) -> list[str]:
    """Remove what an interrupted import left (staging, temp links, orphan generations).

    Call at daemon start; every import calls it too. Returns the names removed.
    """
    with locked(data_dir) as lib:
        return clean(lib)


def _in_use_by_session(lib: Path) -> str | None:
    """The generation the running (or cut short) session plays from, so it keeps its files.

    Read from the file the daemon publishes for this, ``<data_dir>/session-active.json``.
    """
    try:
        saved = json.loads((lib.parent / SESSION_ACTIVE_FILE).read_text(encoding="utf-8"))
        real = Path(os.path.realpath(saved["playlist_path"]))
        rel = real.relative_to(os.path.realpath(lib))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rel.parts[0] if rel.parts and GENERATION.fullmatch(rel.parts[0]) else None


def clean(lib: Path) -> list[str]:
    """`recover_library`'s work; call under `locked`.

    Keeps the generations that ``current``, ``previous`` and ``pending`` name, and the one
    the daemon's saved session plays from.
    """
    keep = {t for t in (link_target(lib, link) for link in LINKS) if t} | {_in_use_by_session(lib)}
    removed = []
    for entry in lib.iterdir():
        name = entry.name
        stale = (name.startswith(STAGING_PREFIX) or name.startswith(".tmp-link-")
                 or (GENERATION.fullmatch(name) and name not in keep))
        if stale:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    entry.unlink()
            removed.append(name)
            log.info("library: removed %s", name)
    if removed:
        fsync_dir(lib)
    return removed


def new_staging(lib: Path) -> Path:
    """A fresh staging folder (call under `locked`)."""
    path = lib / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    path.mkdir(mode=0o755)
    return path


def fsync_tree(root: Path) -> None:
    """fsync every folder under `root`, deepest first (files are fsync'd as they are written)."""
    dirs = [Path(d) for d, _, _ in os.walk(root)]
    for d in reversed(dirs):
        fsync_dir(d)


def _adopt_owner(lib: Path, paths: Iterable[str | os.PathLike[str]]) -> None:
    """When run as root (the USB unit), give `paths` to the data folder's owner.

    The daemon runs as its own user and must be able to flip links in the library
    (`apply_pending`) and read every file the import created.
    """
    if os.geteuid() != 0:
        return
    st = lib.parent.stat()
    if st.st_uid == 0:
        return
    for path in paths:
        os.lchown(path, st.st_uid, st.st_gid)


def _tree(root: Path) -> Iterator[str]:
    for d, dirs, files in os.walk(root):
        yield d
        yield from (os.path.join(d, n) for n in dirs + files)


def commit(lib: Path, staging: Path, *, defer: bool) -> str:
    """Make the fully written `staging` a generation; flip ``current`` to it unless `defer`.

    Call under `locked`. With `defer`, ``pending`` points at it and `apply_pending` flips
    later. Returns the generation's name.
    """
    _adopt_owner(lib, _tree(staging))
    fsync_tree(staging)
    numbers = [int(m.group(1)) for e in lib.iterdir() if (m := GENERATION.fullmatch(e.name))]
    name = f"gen-{max(numbers, default=0) + 1:06d}"
    os.rename(staging, lib / name)
    fsync_dir(lib)
    if defer:
        _set_link(lib, "pending", name)
    else:
        _swap(lib, name)
    try:  # the import has happened; tidying up must not make it look failed
        clean(lib)
    except OSError as exc:
        log.warning("library: could not remove old generations: %s", exc)
    return name


def _swap(lib: Path, name: str) -> None:
    old = link_target(lib, "current")
    if old is not None and old != name:
        _set_link(lib, "previous", old)
    _set_link(lib, "current", name)
    if link_target(lib, "pending") == name:
        _set_link(lib, "pending", None)


def apply_pending(config_or_data_dir: object, *, wait: bool = True) -> str | None:
    """Make a deferred import current; the engine calls this when a session ends.

    Args:
        config_or_data_dir: a `Config` (its ``data_dir`` is used) or the data folder.
        wait: False returns None at once when an import is still copying (it is applied later).

    Returns:
        the generation now current, or None when nothing was pending (or the lock was busy).
    """
    data_dir = getattr(config_or_data_dir, "data_dir", config_or_data_dir)
    lib = library_dir(data_dir)  # type: ignore[arg-type]
    if not (lib / "pending").is_symlink():
        return None
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(locked(data_dir, wait=wait))  # type: ignore[arg-type]
        except BlockingIOError:
            return None                          # an import still copies: applied when it is done
        name = link_target(lib, "pending")
        if name is None:
            _set_link(lib, "pending", None)
            return None
        _swap(lib, name)
        clean(lib)
        log.info("library: applied the deferred import %s", name)
        return name


def rollback(config, *, session_active: Callable[[], bool] | None = None) -> str:
    """Swap ``current`` and ``previous`` (a second rollback undoes the first).

    Args:
        session_active: asked first (default: `session_is_active`, the daemon over its socket).

    Raises:
        ImportRefused: a session is running, or there is no previous generation.
    """
    if (session_active or (lambda: session_is_active(config)))():
        raise ImportRefused("a session is running; roll the library back after it ends")
    data_dir = config.data_dir
    with locked(data_dir) as lib:
        prev, cur = link_target(lib, "previous"), link_target(lib, "current")
        if prev is None:
            raise ImportRefused("there is no previous library generation to roll back to")
        _set_link(lib, "current", prev)
        _set_link(lib, "previous", cur)
        return prev


def generations(data_dir: str | os.PathLike[str]) -> list[dict]:
    """Every generation, newest first: name, links pointing at it, and its manifest summary."""
    lib = library_dir(data_dir)
    if not lib.is_dir():
        return []
    links = {link: link_target(lib, link) for link in LINKS}
    rows = []
    for entry in sorted(lib.iterdir(), reverse=True):
        if not GENERATION.fullmatch(entry.name) or not entry.is_dir():
            continue
        try:
            manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        rows.append({"name": entry.name, "links": [k for k, v in links.items() if v == entry.name],
                     "time": manifest.get("time"), "playlists": manifest.get("playlists", []),
                     "files": len(manifest.get("files", {})), "bytes": manifest.get("bytes")})
    return rows
