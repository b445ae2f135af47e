"""Inputs from inside the player that move the session's state: the audio device, the plan's end, a restart.

Staff controls are in player/core/controls.py; these come from the mixer, the phase clock
and the engine's start-up. Each has a row in the session core's transition table
(player/core/session.py), named by `action` as in the vocabulary's table
(player/core/vocabulary.py). Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from player.core.resume import Downtime, Saved
from player.playlist.model import Playlist


@dataclass(frozen=True)
class DeviceLost:
    action: ClassVar[str] = "device_lost"


@dataclass(frozen=True)
class DeviceRestored:
    action: ClassVar[str] = "device_restored"


@dataclass(frozen=True)
class SessionCompleted:
    """The last phase's time is up: the session ends by plan."""

    action: ClassVar[str] = "session_completed"


@dataclass(frozen=True)
class Restart:
    """A session cut short by a crash or power cut, taken up again (player/core/resume.py)."""

    action: ClassVar[str] = ""
    saved: Saved
    playlist: Playlist
    down: Downtime
    policy: str                 # the resume policy that applies ("pause" when the clock is doubted)
    log_missing: bool = False   # the session's records from before the restart are gone


@dataclass(frozen=True)
class RestartPlaying(Restart):
    action: ClassVar[str] = "restart_playing"


@dataclass(frozen=True)
class RestartPaused(Restart):
    action: ClassVar[str] = "restart_paused"
