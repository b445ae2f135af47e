"""The mixer's modes as one table: ``(mode, command) -> (next mode, action)``.

Pure: no I/O, no clock. The mixer looks every command up here and runs the named action
(one of its methods), so what a pause means while stopping, or a play while pausing, is
written down once instead of spread through conditionals. Tests walk every pair.

Modes: ``silent`` (nothing plays), ``playing``, ``pausing`` / ``stopping`` (the whole mix
is fading out), ``paused`` (decks held at silence). ``faded`` is the mixer's own input when
a pause or stop fade reached silence.
"""

from __future__ import annotations

from typing import Literal

Mode = Literal["silent", "playing", "pausing", "paused", "stopping"]
MODES: tuple[Mode, ...] = ("silent", "playing", "pausing", "paused", "stopping")

Command = Literal["play", "crossfade", "pause", "resume", "stop", "emergency", "faded"]
COMMANDS: tuple[Command, ...] = ("play", "crossfade", "pause", "resume", "stop", "emergency", "faded")

#: Actions (mixer methods ``_act_<name>``); ``none`` changes nothing but the mode.
Action = Literal["enter", "replace", "detach_and_enter", "fade_out", "fade_back", "resume_decks", "hold",
                 "release", "already_silent", "none"]

MODE_TRANSITIONS: dict[tuple[Mode, Command], tuple[Mode, Action]] = {
    # Nothing plays: start from silence; fades asked of silence are already done.
    ("silent", "play"): ("playing", "enter"),
    ("silent", "crossfade"): ("playing", "enter"),
    ("silent", "pause"): ("silent", "already_silent"),
    ("silent", "resume"): ("silent", "none"),
    ("silent", "stop"): ("silent", "already_silent"),
    ("silent", "emergency"): ("silent", "already_silent"),
    ("silent", "faded"): ("silent", "none"),
    # Playing: a new source crossfades in (or enters, when nothing is heard); fades take the whole mix.
    ("playing", "play"): ("playing", "replace"),
    ("playing", "crossfade"): ("playing", "replace"),
    ("playing", "pause"): ("pausing", "fade_out"),
    ("playing", "resume"): ("playing", "none"),
    ("playing", "stop"): ("stopping", "fade_out"),
    ("playing", "emergency"): ("stopping", "fade_out"),
    ("playing", "faded"): ("playing", "none"),
    # Pausing: the mix is fading out; resume brings it back from where it is.
    ("pausing", "play"): ("playing", "detach_and_enter"),
    ("pausing", "crossfade"): ("playing", "detach_and_enter"),
    ("pausing", "pause"): ("pausing", "none"),
    ("pausing", "resume"): ("playing", "fade_back"),
    ("pausing", "stop"): ("stopping", "fade_out"),
    ("pausing", "emergency"): ("stopping", "fade_out"),
    ("pausing", "faded"): ("paused", "hold"),
    # Paused: the decks are held at silence.
    ("paused", "play"): ("playing", "enter"),
    ("paused", "crossfade"): ("playing", "enter"),
    ("paused", "pause"): ("paused", "already_silent"),
    ("paused", "resume"): ("playing", "resume_decks"),
    ("paused", "stop"): ("silent", "release"),
    ("paused", "emergency"): ("silent", "release"),
    ("paused", "faded"): ("paused", "none"),
    # Stopping: a stop is not undone by pause or resume, but a new start fades in beside it.
    ("stopping", "play"): ("playing", "detach_and_enter"),
    ("stopping", "crossfade"): ("playing", "detach_and_enter"),
    ("stopping", "pause"): ("stopping", "none"),
    ("stopping", "resume"): ("stopping", "none"),
    ("stopping", "stop"): ("stopping", "fade_out"),
    ("stopping", "emergency"): ("stopping", "fade_out"),
    ("stopping", "faded"): ("silent", "release"),
}


def transition(mode: Mode, command: Command) -> tuple[Mode, Action]:
    """The next mode and the action for `command` in `mode` (every pair is defined)."""
    return MODE_TRANSITIONS[(mode, command)]
