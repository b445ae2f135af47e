"""Coming back after a crash or a power cut: the saved state's format, and how long the player was down.

The engine saves (player/engine/statefile.py does the durable write) what a restart needs:
which session, its phase clock, the track and where in it, the level, and three clock
readings. The downtime is then measured with the clock that cannot step:

* the same boot (the kernel's ``boot_id`` unchanged: a crash, a service restart): the
  difference of CLOCK_BOOTTIME readings, whatever NTP or fake-hwclock did to the wall clock;
* after a reboot: the wall clock, the only one that survives; a gap that is negative, or so
  long that the whole plan would be over, is implausible (a wall clock set wrong): the
  session resumes *paused* with a fault, and staff decide.

Pure: parsing refuses anything odd (NaN, a session id that is not a plain name, a
timeline that does not add up) with a reason, and the engine starts idle instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from player.core.timeline import Timeline
from player.core.vocabulary import is_session_id
from player.numbers import finite, shown

SAVED_VERSION = 2


@dataclass(frozen=True)
class ClockReadings:
    """What the clocks said at a save or at a start."""

    wall: datetime
    boottime: float
    boot_id: str


@dataclass(frozen=True)
class Saved:
    """A session cut short, as saved."""

    state: str
    session_id: str
    playlist_path: str
    timeline: Timeline
    elapsed_s: float
    clocks: ClockReadings
    track_index: int
    position_s: float | None
    master_db: float | None
    fading_out: bool
    checkpoints: dict | None = None    # player/core/checkpoints.py: what was acknowledged and recorded
    calmer: dict | None = None   # calmer music playing (player/core/calmer.py `Calmer.to_saved`)


@dataclass(frozen=True)
class Downtime:
    """How long the player was down, how that was measured, and whether to believe it."""

    gap_s: float
    source: str          # "boottime" or "wall"
    plausible: bool
    note: str = ""


def to_saved(*, state: str, session_id: str, playlist_path: str, timeline: Timeline, elapsed_s: float,
             clocks: ClockReadings, track_index: int, position_s: float | None, master_db: float | None,
             fading_out: bool, checkpoints: dict | None = None, calmer: dict | None = None) -> dict:
    """The saved state as JSON data."""
    return {"version": SAVED_VERSION, "state": state, "session_id": session_id, "playlist_path": playlist_path,
            "timeline": timeline.to_dict(), "elapsed_s": round(elapsed_s, 3),
            "wall": clocks.wall.isoformat(), "boottime": round(clocks.boottime, 3), "boot_id": clocks.boot_id,
            "track_index": track_index, "position_s": None if position_s is None else round(position_s, 3),
            "master_db": master_db, "fading_out": fading_out,
            **({"checkpoints": checkpoints} if checkpoints else {}), **({"calmer": calmer} if calmer else {})}


def _number(data: dict, key: str, *, optional: bool = False, where: str = "") -> float | None:
    value = data.get(key)
    if value is None and optional:
        return None
    number = finite(value)
    if number is None:
        raise ValueError(f"{where}{key} is not a finite number ({shown(value)})")
    return number


def check_saved_calmer(data: object) -> dict | None:
    """The saved calmer period (player/core/calmer.py `Calmer.to_saved`) checked, None when none was saved.

    Raises:
        ValueError: it holds something a restart must not trust.
    """
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("calmer is not a JSON object")
    index, turn = data.get("phase_index"), data.get("plan_turn")
    for key, value in (("phase_index", index), ("plan_turn", turn)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1_000_000:
            raise ValueError(f"calmer.{key} {value!r} is not a count")
    return {"phase_index": index, "plan_turn": turn, "since_s": _number(data, "since_s", where="calmer."),
            **{key: _number(data, key, optional=True, where="calmer.") for key in ("until_s", "minutes")}}


def parse_saved(data: object) -> Saved | None:
    """A `Saved` from the state file's JSON, None when no session was running.

    Raises:
        ValueError: the file holds something a restart must not trust, with the reason.
    """
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    state = data.get("state")
    if state not in ("playing", "paused", "faulted"):
        return None
    session_id = data.get("session_id")
    if not is_session_id(session_id):
        raise ValueError(f"session_id {session_id!r} is not a plain name")
    playlist_path = data.get("playlist_path")
    if not isinstance(playlist_path, str) or not playlist_path or "\0" in playlist_path:
        raise ValueError("playlist_path is missing")
    try:
        timeline = Timeline.from_dict(data["timeline"])
        wall = datetime.fromisoformat(str(data["wall"]))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"timeline or wall time unreadable ({exc})") from None
    for value in (timeline.phase_start_s, timeline.phase_end_s, *timeline.durations_s):
        if not math.isfinite(value):
            raise ValueError("the timeline holds a number that is not finite")
    if wall.tzinfo is None:
        raise ValueError("wall time has no offset")
    track_index = data.get("track_index", 0)
    if isinstance(track_index, bool) or not isinstance(track_index, int) or not 0 <= track_index < 1_000_000:
        raise ValueError(f"track_index {track_index!r} is not a turn")
    boot_id = data.get("boot_id", "")
    return Saved(state=state, session_id=session_id, playlist_path=playlist_path, timeline=timeline,
                 elapsed_s=_number(data, "elapsed_s"),
                 clocks=ClockReadings(wall, _number(data, "boottime", optional=True) or 0.0,
                                      boot_id if isinstance(boot_id, str) else ""),
                 track_index=track_index, position_s=_number(data, "position_s", optional=True),
                 master_db=_number(data, "master_db", optional=True), fading_out=bool(data.get("fading_out")),
                 checkpoints=data.get("checkpoints") if isinstance(data.get("checkpoints"), dict) else None,
                 calmer=check_saved_calmer(data.get("calmer")))


def downtime(saved: Saved, now: ClockReadings, plan_total_s: float) -> Downtime:
    """How long the player was down (see the module doc for which clock, and when it is doubted)."""
    before = saved.clocks
    if before.boot_id and before.boot_id == now.boot_id and now.boottime >= before.boottime:
        return Downtime(now.boottime - before.boottime, "boottime", True)
    gap = (now.wall - before.wall).total_seconds()
    if gap < 0:
        return Downtime(0.0, "wall", False, f"the wall clock is {-gap:.0f} s earlier than at the last save")
    if saved.elapsed_s + gap > plan_total_s:
        return Downtime(0.0, "wall", False, f"the wall clock says {gap:.0f} s passed, longer than the rest of the plan")
    return Downtime(gap, "wall", True)
