"""The rules of calmer music on demand: handlers of the session core (player/core/session.py), pure.

A control or a restart in, records and mixer effects out. What calmer music is, until when
and the way back: player/core/calmer.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core import calmer as calm
from player.core.controls import Calmer
from player.core.resume import Saved
from player.errors import SessionRefused

if TYPE_CHECKING:
    from player.core.session import Moment, SessionMachine


def calmer(m: SessionMachine, c: Calmer, when: Moment) -> None:
    """Calmer music now, for `minutes` (None: until `off` or the phase ends), or back to the plan (`off`)."""
    s = m.session
    assert s is not None
    if c.off:
        if s.calmer is None:
            raise SessionRefused("calmer music is not playing; the plan's music plays")
        end_calmer(m, when.at, "staff", when.source)
        return
    if s.finishing or s.fading_out:
        raise SessionRefused(f"phase {s.timeline.phase} is ending: its last music plays out")
    was = s.calmer
    plan_turn, since = (s.cursor.track_index, None) if was is None else (was.plan_turn, was.since_s)
    s.calmer = calm.begin(s.playlist, s.timeline.index, when.at, c.minutes, plan_turn, since)
    m.record("calmer_started", when.at, when.source, phase=s.timeline.phase, minutes=c.minutes,
             until_s=s.calmer.until_s)
    if was is None:         # asked again while calmer music plays: only its end changes
        s.cursor.calmer, s.cursor.track_index = True, 0
        m.emit(s.phase_music(crossfade_s=calm.crossfade_s(s.phase)))


def end_calmer(m: SessionMachine, at_s: float, reason: str, source: str = "system", *, music: bool = True) -> None:
    """Back to the plan's music, at the turn after the one calmer music interrupted."""
    s = m.session
    assert s is not None and s.calmer is not None
    plan_turn, s.calmer = s.calmer.plan_turn, None
    s.cursor.calmer, s.cursor.track_index = False, plan_turn + 1
    m.record("calmer_ended", at_s, source, phase=s.timeline.phase, reason=reason)
    if music:
        m.emit(s.phase_music(crossfade_s=calm.crossfade_s(s.phase)))


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
