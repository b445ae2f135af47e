"""What the session core decides and the engine performs: one frozen class per kind of effect.

The core (player/core/session.py) returns a list of these; the engine shell
(player/engine/loop.py) performs each through a dict from its class to one method, so every
hop from a rule to the mixer call or the disk write is a name an IDE can follow, and an
effect the shell does not know is a KeyError in its tests, not a typo found on the engine
thread. Pure data: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from player.core.media import Source

# --- the music (performed on the mixer) -----------------------------------------------------

@dataclass(frozen=True)
class Play:
    """Start `source` from silence, fading in over `fade_in_s`.

    `after_restart`: the session is taken up after the daemon went down, so the patient has
    heard silence since: the mixer pre-rolls briefly (the start level and the fade-in hold).
    """

    source: Source
    fade_in_s: float
    after_restart: bool = False


@dataclass(frozen=True)
class Crossfade:
    """Crossfade from what plays now into `source`."""

    source: Source
    crossfade_s: float


@dataclass(frozen=True)
class QueueNext:
    """What follows the current track when it ends (None: silence after it)."""

    source: Source | None
    crossfade_s: float


@dataclass(frozen=True)
class Prefetch:
    """Have these tracks' loudness measured ahead, in play order."""

    sources: tuple[Source, ...]


@dataclass(frozen=True)
class BeginLevel:
    """A session's level starts low and ramps to `target_db` (None: the configured default)."""

    target_db: float | None


@dataclass(frozen=True)
class PauseAudio:
    """Fade the music down and hold its place."""

    fade_s: float


@dataclass(frozen=True)
class ResumeAudio:
    """Fade the held music back up from its place."""

    fade_s: float


@dataclass(frozen=True)
class StopAudio:
    """Fade the music out and stop."""

    fade_s: float


@dataclass(frozen=True)
class EmergencyStopAudio:
    """Fade out fast (an emergency stop), then stop."""

    fade_s: float


@dataclass(frozen=True)
class ChangeLevel:
    """Change the master level (a step from what is heard, or a level), as `source` asked.

    The engine tells the core the level before and after (`SessionMachine.level_changed`),
    and the core writes the ``volume_changed`` record.
    """

    source: str
    at_s: float
    delta_db: float | None = None
    level_db: float | None = None


# --- records, storage, the service manager -------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """Write a record (player/core/vocabulary.py) and hand it to the listeners."""

    type: str
    source: str
    at_s: float
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OpenLog:
    """Open (or reopen after a restart) the session's log."""

    session_id: str


@dataclass(frozen=True)
class CloseLog:
    """The session ended: close its log."""

    session_id: str


@dataclass(frozen=True)
class SaveState:
    """Save what a restart needs to take the session up again."""


@dataclass(frozen=True)
class ClearState:
    """No session to take up again after a restart."""


@dataclass(frozen=True)
class RecordExposure:
    """Write the level heard so far (the session's last ``exposure`` record)."""


@dataclass(frozen=True)
class ApplyPendingLibrary:
    """Make a deferred USB import the library (never under a running session)."""


@dataclass(frozen=True)
class Notify:
    """A status line for the service manager."""

    text: str


AudioEffect = Play | Crossfade | QueueNext | Prefetch | BeginLevel | PauseAudio | ResumeAudio | StopAudio \
    | EmergencyStopAudio
StorageEffect = OpenLog | CloseLog | SaveState | ClearState | RecordExposure | ApplyPendingLibrary
Effect = AudioEffect | ChangeLevel | Record | StorageEffect | Notify


@dataclass(frozen=True)
class RecordFeedback:
    """Append a music-feedback answer to the finished session's ``music-feedback.jsonl`` (not the open log)."""

    session_id: str
    source: str
    details: dict = field(default_factory=dict)
