"""The mixer's modes as one table: ``(mode, command) -> (next mode, action)``.

Pure: no I/O, no clock. The transport (MixMachine, mix.py) looks every command up here and
runs the action through its own dict from `Action` to method, so what a pause means while
stopping, or a play while pausing, is written down once instead of spread through
conditionals. Tests walk every pair.

Modes: ``silent`` (nothing plays), ``playing``, ``pausing`` / ``stopping`` (the whole mix
is fading out), ``paused`` (decks held at silence). ``faded`` is the mixer's own input when
a pause or stop fade reached silence.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Mode = Literal["silent", "playing", "pausing", "paused", "stopping"]
MODES: tuple[Mode, ...] = ("silent", "playing", "pausing", "paused", "stopping")

Command = Literal["play", "crossfade", "pause", "resume", "stop", "emergency", "faded"]
COMMANDS: tuple[Command, ...] = ("play", "crossfade", "pause", "resume", "stop", "emergency", "faded")


class Action(StrEnum):
    """What the transport does on a command (each has one method there); NONE changes nothing but the mode."""

    ENTER = "enter"
    REPLACE = "replace"
    DETACH_AND_ENTER = "detach_and_enter"
    FADE_OUT = "fade_out"
    FADE_BACK = "fade_back"
    RESUME_DECKS = "resume_decks"
    HOLD = "hold"
    RELEASE = "release"
    ALREADY_SILENT = "already_silent"
    NONE = "none"


_A = Action

MODE_TRANSITIONS: dict[tuple[Mode, Command], tuple[Mode, Action]] = {
    # Nothing plays: start from silence; fades asked of silence are already done.
    ("silent", "play"): ("playing", _A.ENTER),
    ("silent", "crossfade"): ("playing", _A.ENTER),
    ("silent", "pause"): ("silent", _A.ALREADY_SILENT),
    ("silent", "resume"): ("silent", _A.NONE),
    ("silent", "stop"): ("silent", _A.ALREADY_SILENT),
    ("silent", "emergency"): ("silent", _A.ALREADY_SILENT),
    ("silent", "faded"): ("silent", _A.NONE),
    # Playing: a new source crossfades in (or enters, when nothing is heard); fades take the whole mix.
    ("playing", "play"): ("playing", _A.REPLACE),
    ("playing", "crossfade"): ("playing", _A.REPLACE),
    ("playing", "pause"): ("pausing", _A.FADE_OUT),
    ("playing", "resume"): ("playing", _A.NONE),
    ("playing", "stop"): ("stopping", _A.FADE_OUT),
    ("playing", "emergency"): ("stopping", _A.FADE_OUT),
    ("playing", "faded"): ("playing", _A.NONE),
    # Pausing: the mix is fading out; resume brings it back from where it is.
    ("pausing", "play"): ("playing", _A.DETACH_AND_ENTER),
    ("pausing", "crossfade"): ("playing", _A.DETACH_AND_ENTER),
    ("pausing", "pause"): ("pausing", _A.NONE),
    ("pausing", "resume"): ("playing", _A.FADE_BACK),
    ("pausing", "stop"): ("stopping", _A.FADE_OUT),
    ("pausing", "emergency"): ("stopping", _A.FADE_OUT),
    ("pausing", "faded"): ("paused", _A.HOLD),
    # Paused: the decks are held at silence.
    ("paused", "play"): ("playing", _A.ENTER),
    ("paused", "crossfade"): ("playing", _A.ENTER),
    ("paused", "pause"): ("paused", _A.ALREADY_SILENT),
    ("paused", "resume"): ("playing", _A.RESUME_DECKS),
    ("paused", "stop"): ("silent", _A.RELEASE),
    ("paused", "emergency"): ("silent", _A.RELEASE),
    ("paused", "faded"): ("paused", _A.NONE),
    # Stopping: a stop is not undone by pause or resume, but a new start fades in beside it.
    ("stopping", "play"): ("playing", _A.DETACH_AND_ENTER),
    ("stopping", "crossfade"): ("playing", _A.DETACH_AND_ENTER),
    ("stopping", "pause"): ("stopping", _A.NONE),
    ("stopping", "resume"): ("stopping", _A.NONE),
    ("stopping", "stop"): ("stopping", _A.FADE_OUT),
    ("stopping", "emergency"): ("stopping", _A.FADE_OUT),
    ("stopping", "faded"): ("silent", _A.RELEASE),
}


def transition(mode: Mode, command: Command) -> tuple[Mode, Action]:
    """The next mode and the action for `command` in `mode` (every pair is defined)."""
    return MODE_TRANSITIONS[(mode, command)]
