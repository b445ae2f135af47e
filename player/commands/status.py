"""Show the running session: room, state, phase, time in phase / session / remaining, track, level, faults.

Asks the daemon over its control socket. --json prints the same dict as `Daemon.status()`.
"""

from __future__ import annotations

import argparse
import json

from player.commands.infusion_text import infusion_lines
from player.config import load_config
from player.control import send_request
from player.durations import format_duration

NAME = "status"
HELP = "show the running session's phase, times, track, level and faults"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the status as JSON")


def _t(seconds: object) -> str:
    return "-" if seconds is None else format_duration(float(seconds))


def format_status(st: dict) -> str:
    lines = [f"room:      {st.get('room')}", f"state:     {st.get('state')}"]
    if st.get("session_id"):
        lines += [
            f"session:   {st['session_id']} ({st.get('playlist')})",
            f"phase:     {st.get('phase')} ({(st.get('phase_index') or 0) + 1}/{len(st.get('phases') or [])}),"
            f" {_t(st.get('phase_elapsed_s'))} in, {_t(st.get('phase_remaining_s'))} left",
            f"session:   {_t(st.get('elapsed_s'))} in, {_t(st.get('remaining_s'))} left",
            f"track:     {_track(st)}",
        ]
        lines += infusion_lines(st)
        lines += checkpoint_lines(st.get("checkpoints") or [], st.get("elapsed_s") or 0.0)
        calmer = st.get("calmer")
        if calmer:
            until = calmer_until(calmer.get("until_s"), st)
            lines.append(f"calmer:    calmer music since {_t(calmer.get('since_s'))}, {until}")
    lines.append(volume_line(st))
    if st.get("records_pending"):
        lines.append(f"records:   {st['records_pending']} waiting in memory (the data disk refuses writes)")
    bt = st.get("bluetooth")
    if bt:
        battery = f", battery {bt['battery_percent']} %" if bt.get("battery_percent") is not None else ""
        lines.append(f"headphones: {bt.get('name') or bt['address']} "
                     f"{'connected' if bt.get('connected') else 'NOT CONNECTED'}{battery}")
    lines.append("faults:    " + ("; ".join(st.get("faults") or []) or "none"))
    return "\n".join(lines)


def _track(st: dict) -> str:
    """The title staff know the music by, then the file (for the technician)."""
    title, path = st.get("track_title"), st.get("track")
    return f"{title} ({path})" if title and path else (title or path or "-")


def calmer_until(until_s: object, st: dict) -> str:
    """Calmer music ends at `until_s` or at the phase end, whichever comes first (the engine ends it
    with the phase): never show a time after the phase has ended."""
    elapsed, left = st.get("elapsed_s"), st.get("phase_remaining_s")
    phase_end = elapsed + left if isinstance(elapsed, (int, float)) and isinstance(left, (int, float)) else None
    if until_s is None or (phase_end is not None and until_s >= phase_end):
        when = f"until {_t(phase_end)}, when the phase ends" if phase_end is not None else "until the phase ends"
        return when + (", or 'calmer off'" if until_s is None else "")
    return f"until {_t(until_s)}"


def volume_line(st: dict) -> str:
    """Level set, level heard and the cap on one scale: loudness relative to the target (and dBA)."""
    level = st.get("level_db")
    dba = f" = {st['volume_dba']} dBA (cap {st.get('max_dba')} dBA)" if st.get("volume_dba") is not None else ""
    return (f"volume:    {st.get('volume_db')} dB (cap {st.get('max_db')} dB){dba}"
            + (f", heard {level} dB" if level is not None else "")
            + (f" = {st['heard_dba']} dBA" if st.get("heard_dba") is not None else "")
            + "  (loudness relative to the target)")


def checkpoint_lines(checkpoints: list[dict], elapsed_s: float) -> list[str]:
    """The due checkpoints (acknowledge with ``ack``) and the next upcoming one."""
    due = [c for c in checkpoints if c.get("state") == "due"]
    upcoming = [c for c in checkpoints if c.get("state") == "upcoming" and c.get("at_s") is not None]
    lines = [f"DUE:       {c['text']} (since {_t(c['at_s'])}; session-player ack)" for c in due]
    if upcoming:
        c = upcoming[0]
        lines.append(f"next:      {c['text']} at {_t(c['at_s'])} (in {_t(max(0.0, c['at_s'] - elapsed_s))})")
    return lines


def run(args: argparse.Namespace) -> int:
    st = send_request(load_config(args.config).client_socket_path, {"action": "status"})
    print(json.dumps(st, indent=2) if args.json else format_status(st))
    return 0
