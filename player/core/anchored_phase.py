"""A phase that lasts until an event: ``until: infusion_end + 60m`` (the monitored recovery hour). Pure.

The rule: such a phase ends no earlier than its end on the phase clock (its planned length,
extensions and pauses, like every phase) and no earlier than the infusion's end plus the
margin, on the session clock. It only ever lengthens the phase, never cuts it short: when the
phase begins after the infusion ended, or the infusion ends while the phase runs, and the
phase would end sooner, it is extended to end exactly then (a ``phase_extended`` record,
source system, with the reason). A pause during the phase still adds its length on resume.
Without an infusion end recorded the planned duration holds, and the status says the phase
is not anchored. Staff may still advance or stop: people decide, the plan only waits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core.running import PAUSE_FADE_S, Running
from player.durations import format_duration

if TYPE_CHECKING:
    from player.core.session import SessionMachine

EVENT = "infusion_end"


def lengthen(m: SessionMachine, minutes: float, at_s: float, source: str, **details: object) -> None:
    """Extend the current phase by `minutes` (a staff ``extend``, or `hold`), recorded as ``phase_extended``."""
    s = m.session
    assert s is not None
    s.timeline = s.timeline.extend(minutes * 60.0)
    if s.finishing:  # the phase was letting its track play out: it goes on with its own tracks
        s.finishing = False
        s.cursor.handed_turn = s.cursor.track_index
        m.emit(m.following(at_s, now=False))
    if s.fading_out:  # the final fade-out had begun: bring the music back up
        s.fading_out = False
        if m.state == "playing":
            m.emit(m.phase_music(fade_in_s=s.phase.crossfade_s or PAUSE_FADE_S))
    m.record("phase_extended", at_s, source, phase=s.timeline.phase, minutes=minutes,
             planned_end_s=s.timeline.phase_end_s, **details)


def hold(m: SessionMachine, at_s: float) -> None:
    """Lengthen the current phase so it ends no earlier than its ``until`` (nothing when it would anyway)."""
    s = m.session
    if s is None:
        return
    tl = s.timeline
    margin, end = s.playlist.phases[tl.index].until_after_end_s, s.checkpoints.anchors.get(EVENT)
    if margin is None or end is None:
        return
    paused = 0.0 if tl.paused_at_s is None else max(0.0, at_s - tl.paused_at_s)   # a pause so far counts
    short_s = end + margin - (tl.phase_end_s + paused)
    if short_s > 1e-6:
        lengthen(m, round(short_s / 60.0, 6), at_s, "system", reason=f"until infusion end + {format_duration(margin)}")


def until_status(s: Running) -> dict | None:
    """``{"phase", "margin_s", "anchored", "earliest_end_s"}`` of the playlist's phase with ``until``, or None."""
    for phase in s.playlist.phases:
        if phase.until_after_end_s is not None:
            end = s.checkpoints.anchors.get(EVENT)
            return {"phase": phase.name, "margin_s": phase.until_after_end_s, "anchored": end is not None,
                    "earliest_end_s": None if end is None else end + phase.until_after_end_s}
    return None
