"""The ends of calmer music: back to the plan's music, and calmer music across a restart; pure.

Called by the session core's phase and restart handlers (player/core/phases.py,
player/core/restart.py) and by its ``calmer`` control handler (player/core/session.py, beside
the other staff controls). What calmer music is, until when and the way back:
player/core/calmer.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core import calmer as calm
from player.core.resume import Saved

if TYPE_CHECKING:
    from player.core.session import SessionMachine


def end_calmer(m: SessionMachine, at_s: float, reason: str, source: str = "system", *, music: bool = True) -> None:
    """Back to the plan's music, at the turn after the one calmer music interrupted."""
    s = m.session
    assert s is not None and s.calmer is not None
    plan_turn, s.calmer = s.calmer.plan_turn, None
    s.cursor.calmer, s.cursor.track_index = False, plan_turn + 1
    m.record("calmer_ended", at_s, source, phase=s.timeline.phase, reason=reason)
    if music:
        m.emit(m.phase_music(crossfade_s=calm.crossfade_s(s.phase)))


def restore_calmer(m: SessionMachine, saved: Saved, now_s: float) -> bool:
    """Calmer music survives a restart; it ends there if the playlist no longer has it for the phase.

    Returns:
        True when it ended here (the saved track and place were calmer music's, not the plan's).
    """
    s = m.session
    if saved.calmer is None or s is None:
        return False
    s.calmer = calm.restored(s.playlist, saved.calmer, s.timeline.index)
    if s.calmer is not None:
        s.cursor.calmer = True
        return False
    s.cursor.track_index = saved.calmer["plan_turn"] + 1
    m.record("calmer_ended", now_s, phase=s.timeline.phase, reason="no calmer music in the playlist now")
    return True
