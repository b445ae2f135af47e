"""The infusion's lines in `session-player status` (player/core/infusion.py `infusion_status`)."""

from __future__ import annotations

from player.durations import format_duration


def infusion_lines(st: dict) -> list[str]:
    """What `status` shows of the infusion and the phase that lasts until its end plus a margin."""
    inf = st.get("infusion")
    if not isinstance(inf, dict) or not st.get("session_id"):
        return []
    state = inf.get("state")
    if state == "running":
        line = f"infusion:  running since {format_duration(inf['started_s'])}"
    elif state == "ended":
        line = (f"infusion:  {format_duration(inf['started_s'])} to {format_duration(inf['ended_s'])}"
                f" ({format_duration(inf['ended_s'] - inf['started_s'])})")
    else:
        line = "infusion:  not started (session-player infusion start)"
    lines = [line]
    until = inf.get("until")
    if isinstance(until, dict):
        margin = format_duration(until.get("margin_s") or 0.0)
        lines.append(f"{until.get('phase')}:  until at least {format_duration(until['earliest_end_s'])} "
                     f"(infusion end + {margin})" if until.get("anchored") else
                     f"{until.get('phase')}:  NOT ANCHORED: the infusion's end is not recorded; the planned "
                     f"duration holds (infusion end + {margin} once it is)")
    return lines
