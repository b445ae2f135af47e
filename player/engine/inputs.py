"""What the edges hand the session engine, and what is done with it in the caller's thread.

A control from an edge waits on the engine's queue as a `Command`, with the deadline its
caller set: one whose caller was told "no answer" is dropped, never applied later. A
playlist is read and validated here, in the caller's thread (`prepare_playlist`), never on
the engine's. A new session's folder gets its id here too (`new_session_id`).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from player.config import Config
from player.core.controls import Control, Load, Press, Start
from player.errors import PlaylistInvalid, SessionRefused
from player.playlist.model import Playlist


class Notifier:
    """What the player tells the service manager; the default does nothing (see player/systemd.py)."""

    def ready(self) -> None: ...

    def status(self, text: str) -> None: ...

    def watchdog(self) -> None: ...


@dataclass
class Command:
    """A checked control from an edge, and its answer once the engine acted on it."""

    control: Control
    source: str
    actor: dict | None
    deadline: float
    wanted: Callable[[], bool] | None = None   # False once the caller hung up (the socket's peer)
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None
    error: BaseException | None = None
    _state: str = "queued"                 # queued -> taken (engine) | dropped (too late)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        """The engine's turn: True to apply it, False when its caller has given up (or will)."""
        with self._lock:
            if self._state == "queued" and time.monotonic() <= self.deadline and (
                    self.wanted is None or self.wanted()):
                self._state = "taken"
                return True
            self._state = "dropped"
            return False

    def give_up(self) -> bool:
        """The caller's timeout: True when it will never be applied."""
        with self._lock:
            if self._state == "queued":
                self._state = "dropped"
            return self._state == "dropped"


@dataclass
class Sync:
    """Set once the engine has run a full tick after it was queued (tests, after moving a fake clock)."""

    done: threading.Event = field(default_factory=threading.Event)


def prepare_playlist(control: Start | Load | Press, config: Config,
                     load_playlist: Callable[[Path], Playlist]) -> Control:
    """Load and validate the playlist in the caller's thread (the engine never reads files for a caller).

    Without a playlist named, the configured default is loaded and marked so; the core
    decides whether a playlist loaded ahead goes before it.

    Raises:
        SessionRefused: the playlist is not valid, or cannot be read (the message names it).
    """
    name = control.playlist
    if name is None and config.session.default_playlist is not None:
        name, control = str(config.session.default_playlist), dataclasses.replace(control, default=True)
    if not isinstance(name, str):
        return control
    try:
        # Resolved, so a restart resumes from the same library generation after a USB import.
        playlist = load_playlist(Path(name).resolve())
    except PlaylistInvalid as exc:
        shown = "\n  ".join(map(str, exc.diagnostics[:10])) or str(exc)
        raise SessionRefused(f"playlist {name} is not valid:\n  {shown}") from None
    except OSError as exc:
        raise SessionRefused(f"cannot read playlist {name}: {exc.strerror or exc}") from None
    return dataclasses.replace(control, playlist=playlist)


def session_dir_name(wall: datetime, room: str) -> str:
    """``20260101-090000-room-3``: sortable, readable, no patient data (room is the only identity)."""
    slug = re.sub(r"[^a-z0-9]+", "-", room.lower()).strip("-")[:40] or "room"
    return f"{wall:%Y%m%d-%H%M%S}-{slug}"


def new_session_id(sessions_dir: Path, wall: datetime, room: str) -> str:
    """`session_dir_name`, with ``-2``, ``-3``, ... when a session of that second already has a folder."""
    base = session_dir_name(wall, room)
    sid, n = base, 1
    while (sessions_dir / sid).exists():
        n += 1
        sid = f"{base}-{n}"
    return sid
