"""The controls staff (and the USB import) give a session, one frozen class each.

An edge names a control by its action (``"pause"``) and JSON arguments; `check_control`
(player/control/controller.py) validates those and returns one of these classes, and from
there on every hop is typed: the engine queues the object, the session core
(player/core/session.py) looks its class up in the transition table. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

from player.core.music_prefs import MusicPreferences
from player.playlist.model import Playlist

_INTERNAL = {"internal": True}   # filled in by the engine, never by an edge


@dataclass(frozen=True)
class Control:
    """A control; `action` is its name at the edges (the socket, the web API, MQTT, the CLI)."""

    action: ClassVar[str] = ""

    @property
    def args(self) -> dict:
        """The arguments as an edge gave them, normalized (what `FakeController.submitted` shows)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if not f.metadata.get("internal") and getattr(self, f.name) is not None
                and getattr(self, f.name) is not False}


@dataclass(frozen=True)
class Load(Control):
    """Load a playlist ahead of starting it (`playlist`: a path at the edge, the parsed one in the core)."""

    action: ClassVar[str] = "load"
    playlist: str | Playlist | None = None
    default: bool = field(default=False, metadata=_INTERNAL)   # the configured default playlist


@dataclass(frozen=True)
class Start(Control):
    """Start a session (a loaded playlist, the one given, or the configured default)."""

    action: ClassVar[str] = "start"
    playlist: str | Playlist | None = None
    checked: list[str] | bool | None = None
    preferences: MusicPreferences | None = None   # the patient's music preferences (player/core/music_prefs.py)
    default: bool = field(default=False, metadata=_INTERNAL)
    session_id: str = field(default="", metadata=_INTERNAL)   # the engine names the session


@dataclass(frozen=True)
class Press(Control):
    """A short press of the bedside button: the core decides (start, pause or resume) from the real state."""

    action: ClassVar[str] = "press"
    playlist: str | Playlist | None = None   # what a start would play (the bedside's default playlist)
    default: bool = field(default=False, metadata=_INTERNAL)


@dataclass(frozen=True)
class Pause(Control):
    action: ClassVar[str] = "pause"


@dataclass(frozen=True)
class Resume(Control):
    action: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Next(Control):
    action: ClassVar[str] = "next"


@dataclass(frozen=True)
class Advance(Control):
    action: ClassVar[str] = "advance"


@dataclass(frozen=True)
class Extend(Control):
    action: ClassVar[str] = "extend"
    minutes: float = 5.0


@dataclass(frozen=True)
class Mark(Control):
    action: ClassVar[str] = "mark"
    text: str = ""


@dataclass(frozen=True)
class Volume(Control):
    """A step from the level heard (`delta_db`) or a level (`level_db`); exactly one."""

    action: ClassVar[str] = "volume"
    delta_db: float | None = None
    level_db: float | None = None


@dataclass(frozen=True)
class Stop(Control):
    action: ClassVar[str] = "stop"


@dataclass(frozen=True)
class EmergencyStop(Control):
    action: ClassVar[str] = "emergency_stop"


@dataclass(frozen=True)
class Ack(Control):
    """Acknowledge the oldest due checkpoint (whose text starts with `text`, when given)."""

    action: ClassVar[str] = "ack"
    text: str | None = None


@dataclass(frozen=True)
class Observe(Control):
    action: ClassVar[str] = "observe"
    kind: str = ""
    value: object = None
    note: str | None = None


@dataclass(frozen=True)
class Calmer(Control):
    """Calmer music for `minutes` (None: until off or the phase ends), or back to the plan (`off`)."""

    action: ClassVar[str] = "calmer"
    minutes: float | None = None
    off: bool = False


@dataclass(frozen=True)
class ApplyLibrary(Control):
    """From the USB import: a deferred import may become the library (between sessions only)."""

    action: ClassVar[str] = "apply_library"


@dataclass(frozen=True)
class MusicFeedback(Control):
    """The patient's answer about a track or phase of a finished session (player/core/music_feedback.py)."""

    action: ClassVar[str] = "feedback"
    session: str = ""
    answer: str = ""
    track: str | None = None
    phase: str | None = None
    note: str | None = None


#: Every control by its action name, for the door (`check_control`) and nothing else.
CONTROL_TYPES: dict[str, type[Control]] = {c.action: c for c in (
    Load, Start, Press, Pause, Resume, Next, Advance, Extend, Mark, Volume, Stop, EmergencyStop, Ack, Observe,
    Calmer, ApplyLibrary, MusicFeedback)}


def control(action: str, args: dict | None = None) -> Control:
    """The control named `action` with already-checked `args` (`check_control` checks them first).

    Raises:
        KeyError: no such control.
    """
    return CONTROL_TYPES[action](**(args or {}))
