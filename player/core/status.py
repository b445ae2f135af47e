"""What staff see of the session: the session part of the status snapshot (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core import calmer as calm
from player.core.cap import cap_db
from player.core.cursor import track_at
from player.core.infusion import infusion_status
from player.core.running import Running
from player.core.timeline import Timeline

if TYPE_CHECKING:
    from player.core.session import SessionMachine


class StatusCache:
    """Builds the snapshot; keeps the phases' times while the timeline is unchanged (built every second)."""

    def __init__(self) -> None:
        self._spans: tuple[Timeline, list[dict]] | None = None

    def snapshot(self, m: SessionMachine, now: float) -> dict:
        """The session part of the status (see `player.control.controller.STATUS_KEYS`)."""
        s = m.session
        snap: dict = {"state": m.state, "room": m.config.room, "max_db": cap_db(m.config.volume),
                      "faults": list(m.faults), "phases": [], "elapsed_s": 0.0, "phase": None,
                      "phase_index": None, "session_id": None, "playlist": None, "phase_elapsed_s": None,
                      "phase_remaining_s": None, "remaining_s": None, "track": None, "checkpoints": [],
                      "calmer": None, "calmer_available": False, "infusion": infusion_status(None)}
        if m.ready is not None:
            snap["playlist"] = m.ready.name
        if s is None:
            return snap
        at = m.elapsed(now)
        tl = s.timeline
        paused = 0.0 if tl.paused_at_s is None else at - tl.paused_at_s
        track = track_at(s.phase, s.cursor.track_index)
        snap.update(
            session_id=s.id, playlist=s.playlist.name, phase=tl.phase, phase_index=tl.index,
            elapsed_s=round(at, 3), phase_elapsed_s=round(at - tl.phase_start_s, 3),
            phase_remaining_s=round(max(0.0, tl.phase_end_s + paused - at), 3),
            remaining_s=round(max(0.0, tl.projected_end_s(at) - at), 3),
            track=None if track is None else s.track_name(track.path), phases=self._phases(s, at),
            track_title=None if track is None else track.shown_title,
            checkpoints=s.checkpoints.snapshot(at),
            calmer=None if s.calmer is None else s.calmer.status(),
            calmer_available=calm.has_calmer(s.playlist, tl.index), infusion=infusion_status(s))
        return snap

    def _phases(self, s: Running, at: float) -> list[dict]:
        if self._spans is not None and self._spans[0] is s.timeline and s.timeline.paused_at_s is None:
            return [dict(p) for p in self._spans[1]]
        spans = [{"name": p.name, "planned_start_s": plan[0], "planned_end_s": plan[1],
                  "actual_start_s": p.actual_start_s, "actual_end_s": p.actual_end_s,
                  "expected_start_s": p.expected_start_s, "expected_end_s": p.expected_end_s}
                 for p, plan in zip(s.timeline.spans(at), s.planned, strict=True)]
        self._spans = (s.timeline, spans)
        return [dict(p) for p in spans]
