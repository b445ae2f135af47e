"""The rules of calmer music on demand, as a part of `SessionRules` (player/core/session.py).

Pure, like the rest of the rules: a control or a restart in, records and mixer calls out.
What calmer music is, until when and the way back: player/core/calmer.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core import calmer as calm
from player.errors import SessionRefused

if TYPE_CHECKING:
    from player.core.resume import Saved
    from player.core.session import MixerView, Running


class CalmerRules:
    """`SessionRules`' calmer controls; uses its session, records and music (engine thread only)."""

    session: Running | None      # and _record, _start_phase_music, elapsed: SessionRules'

    def _do_calmer(self, source: str, now: float, mixer: MixerView, minutes: float | None = None,
                   off: bool = False) -> None:
        """Calmer music now, for `minutes` (None: until `off` or the phase ends), or back to the plan (`off`)."""
        s = self.session
        assert s is not None
        at = self.elapsed(now)
        if off:
            if s.calmer is None:
                raise SessionRefused("calmer music is not playing; the plan's music plays")
            self._end_calmer(at, "staff", source)
            return
        if s.finishing or s.fading_out:
            raise SessionRefused(f"phase {s.timeline.phase} is ending: its last music plays out")
        was = s.calmer
        plan_turn, since = (s.cursor.track_index, None) if was is None else (was.plan_turn, was.since_s)
        s.calmer = calm.begin(s.playlist, s.timeline.index, at, minutes, plan_turn, since)
        self._record("calmer_started", at, source, phase=s.timeline.phase, minutes=minutes, until_s=s.calmer.until_s)
        if was is None:         # asked again while calmer music plays: only its end changes
            s.cursor.calmer, s.cursor.track_index = True, 0
            self._start_phase_music(at, crossfade_s=calm.crossfade_s(s.phase))

    def _end_calmer(self, at_s: float, reason: str, source: str = "system", *, music: bool = True) -> None:
        """Back to the plan's music, at the turn after the one calmer music interrupted."""
        s = self.session
        assert s is not None and s.calmer is not None
        plan_turn, s.calmer = s.calmer.plan_turn, None
        s.cursor.calmer, s.cursor.track_index = False, plan_turn + 1
        self._record("calmer_ended", at_s, source, phase=s.timeline.phase, reason=reason)
        if music:
            self._start_phase_music(at_s, crossfade_s=calm.crossfade_s(s.phase))

    def _restore_calmer(self, saved: Saved, now_s: float) -> bool:
        """Calmer music survives a restart; it ends there if the playlist no longer has it for the phase.

        Returns:
            True when it ended here (the saved track and place were calmer music's, not the plan's).
        """
        s = self.session
        if saved.calmer is None or s is None:
            return False
        s.calmer = calm.restored(s.playlist, saved.calmer, s.timeline.index)
        if s.calmer is not None:
            s.cursor.calmer = True
            return False
        s.cursor.track_index = saved.calmer["plan_turn"] + 1
        self._record("calmer_ended", now_s, phase=s.timeline.phase, reason="no calmer music in the playlist now")
        return True

