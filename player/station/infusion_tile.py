"""The infusion line of a chair's tile at the nursing station, from the chair's status alone. Pure.

The chair publishes its status (``infusion``: player/core/infusion.py `infusion_status`);
the station trusts no chair, so a field of the wrong shape or a number that is not finite
simply leaves the line out (or shorter), never breaks the board.
"""

from __future__ import annotations

from collections.abc import Mapping

from player.durations import format_duration
from player.numbers import finite
from player.oneline import is_one_line

_STATES = ("not_started", "running", "ended")
_ACTIVE = ("playing", "paused", "faulted")


def infusion_tile(status: Mapping) -> dict | None:
    """``{"state", "text"}`` for a chair in a session, None otherwise (or when it says nothing usable)."""
    inf = status.get("infusion")
    if status.get("state") not in _ACTIVE or not isinstance(inf, Mapping) or inf.get("state") not in _STATES:
        return None
    start, end = finite(inf.get("started_s")), finite(inf.get("ended_s"))
    if inf["state"] == "running" and start is not None:
        text = f"Infusion running since {format_duration(start)}"
    elif inf["state"] == "ended" and start is not None and end is not None:
        text = f"Infusion ended at {format_duration(end)} ({format_duration(max(0.0, end - start))})"
    else:
        text = "Infusion not started"
    until = inf.get("until")
    if inf["state"] == "ended" and isinstance(until, Mapping) and until.get("anchored") is True:
        earliest, phase = finite(until.get("earliest_end_s")), until.get("phase")
        if earliest is not None and isinstance(phase, str) and len(phase) <= 60 and is_one_line(phase):
            text += f"; {phase} until at least {format_duration(earliest)}"
    return {"state": inf["state"], "text": text}
