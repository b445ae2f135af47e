"""Show the running session: room, state, phase, time in phase / session / remaining, track, level, faults.

Asks the daemon over its control socket. --json prints the same dict as `Daemon.status()`.
"""

from __future__ import annotations

import argparse
import json

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
            f"track:     {st.get('track') or '-'}",
        ]
        lines += checkpoint_lines(st.get("checkpoints") or [], st.get("elapsed_s") or 0.0)
        calmer = st.get("calmer")
        if calmer:
            until = "until 'calmer off' or the phase ends" if calmer.get("until_s") is None \
                else f"until {_t(calmer['until_s'])}"
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
    upcoming = [c for c in checkpoints if c.get("state") == "upcoming"]
    lines = [f"DUE:       {c['text']} (since {_t(c['at_s'])}; session-player ack)" for c in due]
    if upcoming:
        c = upcoming[0]
        lines.append(f"next:      {c['text']} at {_t(c['at_s'])} (in {_t(max(0.0, c['at_s'] - elapsed_s))})")
    return lines


def run(args: argparse.Namespace) -> int:
    st = send_request(load_config(args.config).client_socket_path, {"action": "status"})
    print(json.dumps(st, indent=2) if args.json else format_status(st))
    return 0
