"""Staff controls from a shell: each sends one request to the daemon's control socket.

The daemon answers after the control took effect and is on disk in the session log; a
control the session's state does not allow is refused with the reason (exit 1).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from player.commands.music_prefs_options import add_preference_options, preferences_of
from player.commands.status import format_status
from player.config import load_config
from player.control import send_request

_ANSWERS = ("The daemon answers after the control took effect and is on disk in the session log; a control "
            "the session's state does not allow is refused with the reason (exit 1).")


@dataclass(frozen=True)
class Control:
    """One control subcommand: its CLI name, the engine action, and how its arguments map."""

    NAME: str
    HELP: str
    action: str
    add: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    args_of: Callable[[argparse.Namespace], dict] = lambda args: {}

    @property
    def DESCRIPTION(self) -> str:  # noqa: N802 - read by the CLI like a module's constant
        return f"{self.HELP[0].upper()}{self.HELP[1:]}.\n\n{_ANSWERS}"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        self.add(parser)

    def run(self, args: argparse.Namespace) -> int:
        request = {"action": self.action, **self.args_of(args)}    # the daemon knows who asks (SO_PEERCRED)
        status = send_request(load_config(args.config).client_socket_path, request)
        print(format_status(status))
        return 0


def _add_playlist(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", nargs="?",
                        help="a library playlist's name (session-player playlists), or a playlist file "
                             "you may read (default: session.default_playlist)")
    parser.add_argument("--checked", action="store_true",
                        help="every item of the pre-session checklist (session.checklist) is done: "
                             "recorded in the session log")
    add_preference_options(parser, quieter=True)


def _add_minutes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("minutes", nargs="?", type=float, default=5.0, help="minutes to add (default 5)")


def _add_text(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", help="what happened, e.g. 'BP 128/82' (no patient names)")


def _add_volume(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("change", help="up, down (one step, volume.step_db), +N / -N dB, or a level such as =-15")


def _volume_args(args: argparse.Namespace) -> dict:
    change = args.change.strip()
    steps = {"up": 3.0, "down": -3.0}
    if change in steps:
        step = load_config(args.config).volume.step_db
        return {"delta_db": step if change == "up" else -step}
    try:
        if change.startswith("="):
            return {"level_db": float(change[1:])}
        return {"delta_db": float(change)}
    except ValueError:
        raise SystemExit(f"session-player volume: cannot read {change!r}: use up, down, +3, -3 or =-15") from None


def _playlist_args(args: argparse.Namespace) -> dict:
    """A name without a folder is a library playlist's unless such a file is here; a file goes by its absolute path."""
    checked = {"checked": True} if getattr(args, "checked", False) else {}
    prefs = preferences_of(args)
    checked = {**checked, **({"preferences": prefs.as_record()} if prefs else {})}
    given = args.playlist
    if given is None:
        return checked
    if "/" not in given and not Path(given).exists():
        return {"playlist": given, **checked}
    return {"playlist": str(Path(given).resolve()), **checked}


SUBCOMMANDS = [
    Control("start", "start a session with a playlist", "start", _add_playlist, _playlist_args),
    Control("pause", "pause the session with a 3 s fade (the phase clock stops)", "pause"),
    Control("resume", "resume a paused session with a 3 s fade", "resume"),
    Control("next", "crossfade to the next track of the phase", "next"),
    Control("advance", "end the current phase now and crossfade into the next", "advance"),
    Control("extend", "extend the current phase by N minutes", "extend", _add_minutes,
            lambda args: {"minutes": args.minutes}),
    Control("mark", "record a marker in the session log", "mark", _add_text,
            lambda args: {"text": " ".join(args.text)}),
    Control("volume", "change the level (ramped, never above the cap)", "volume", _add_volume, _volume_args),
    Control("stop", "end the session with a 3 s fade-out", "stop"),
    Control("emergency-stop", "end the session now (0.5 s fade, no click)", "emergency_stop"),
]
