"""Synthetic session event logs in the engine's record format, for report, web and CLI tests.

`realistic_session()` covers every event type the engine writes (pauses, an extension,
an advance, markers with HTML-ish free text, a skipped track, a fault, a daemon restart).
`SessionLogBuilder` composes custom logs; `write_session_log()` puts one where the daemon
would (``<data_dir>/sessions/<id>/events.jsonl``) using the real `EventLog`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from player.session.eventlog import EventLog

START_WALL = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
SESSION_ID = "20260101-090000-room-3"
ROOM = "Room 3"
PLAYLIST = "Ketamine 40 min"
#: (name, planned_start_s, planned_end_s) of the realistic session's plan.
PLAN = (("Settling", 0.0, 600.0), ("Onset", 600.0, 1800.0), ("Peak", 1800.0, 3000.0), ("Return", 3000.0, 3900.0))
MARKER_TEXT = 'BP 128/82 <b>&amp;</b> "ok" =SUM(A1)'


class SessionLogBuilder:
    """Accumulates records with consecutive seq numbers and consistent times.

    Args:
        session_id: written into every record.
        start_wall: wall time at elapsed 0.
    """

    def __init__(self, session_id: str = SESSION_ID, start_wall: datetime = START_WALL) -> None:
        self.session_id = session_id
        self.start_wall = start_wall
        self.wall_offset_s = 0.0  # grows by a restart's gap: wall time moves on, session time does not
        self.records: list[dict] = []

    def add(self, elapsed_s: float, type_: str, source: str = "system", **details: object) -> dict:
        record = {
            "seq": len(self.records) + 1,
            "time": (self.start_wall + timedelta(seconds=elapsed_s + self.wall_offset_s)).isoformat(),
            "elapsed_s": float(elapsed_s),
            "type": type_,
            "source": source,
            "details": details,
            "session_id": self.session_id,
        }
        self.records.append(record)
        return record

    def started(self, plan: tuple[tuple[str, float, float], ...] = PLAN, *, room: str = ROOM,
                playlist: str = PLAYLIST, source: str = "cli") -> None:
        self.add(0.0, "session_started", source, playlist=playlist,
                 playlist_path=f"/var/lib/session-player/library/{playlist.lower().replace(' ', '-')}/playlist.yaml",
                 room=room, max_db=-6.0, start_db=-20.0, default_db=-12.0, resume_policy="continue",
                 phases=[{"name": n, "planned_start_s": s, "planned_end_s": e} for n, s, e in plan])
        self.add(0.0, "state_changed", "system", **{"from": "ready", "to": "playing"})

    def write(self, data_dir: Path) -> Path:
        return write_session_log(data_dir, self.records, self.session_id)


def write_session_log(data_dir: Path, records: list[dict], session_id: str = SESSION_ID) -> Path:
    """Append `records` to ``<data_dir>/sessions/<session_id>/events.jsonl``; returns the path."""
    path = Path(data_dir) / "sessions" / session_id / "events.jsonl"
    with EventLog(path) as log:
        for record in records:
            log.append(record)
    return path


def realistic_session(*, ended: bool = True, session_id: str = SESSION_ID) -> SessionLogBuilder:
    """A 70-minute session touching every event type; `ended=False` stops mid-Peak."""
    b = SessionLogBuilder(session_id)
    b.started()
    b.add(0.0, "phase_started", phase="Settling", index=0, planned_start_s=0.0, planned_end_s=600.0)
    b.add(0.5, "track_started", phase="Settling", file="settling/01 Rain.flac")
    b.add(120.0, "volume_changed", "button", from_db=-20.0, to_db=-17.0)
    b.add(290.0, "track_started", phase="Settling", file="settling/02 Drift.flac")
    b.add(296.0, "track_ended", file="settling/01 Rain.flac")
    b.add(400.0, "marked", "web", text=MARKER_TEXT)
    b.add(600.0, "phase_ended", phase="Settling", index=0)
    b.add(600.0, "phase_started", phase="Onset", index=1, planned_start_s=600.0, planned_end_s=1800.0)
    b.add(600.0, "track_started", phase="Onset", file="onset/03 Tide.flac")
    b.add(606.0, "track_ended", file="settling/02 Drift.flac")
    b.add(700.0, "track_skipped", file="onset/04 Broken.flac", reason="could not be decoded")
    b.add(900.0, "paused", "button")
    b.add(900.0, "state_changed", **{"from": "playing", "to": "paused"})
    b.add(1020.0, "resumed", "web", paused_s=120.0)
    b.add(1020.0, "state_changed", **{"from": "paused", "to": "playing"})
    b.add(1100.0, "fault", message="audio device lost: pulse")
    b.add(1105.0, "fault_cleared", message="audio device lost: pulse")
    b.wall_offset_s = 42.0
    b.add(1500.0, "daemon_restarted", gap_s=42.0, policy="continue")
    b.add(1500.0, "track_started", phase="Onset", file="onset/05 Swell.flac")
    b.add(1920.0, "phase_ended", phase="Onset", index=1)
    b.add(1920.0, "phase_started", phase="Peak", index=2, planned_start_s=1920.0, planned_end_s=3120.0)
    b.add(1920.0, "track_started", phase="Peak", file="peak/06 Open Sky.flac")
    b.add(1926.0, "track_ended", file="onset/05 Swell.flac")
    b.add(2100.0, "calmer_started", "web", phase="Peak", minutes=5.0, until_s=2400.0)
    b.add(2100.0, "track_started", phase="Peak", file="calmer/08 Still.flac", calmer=True)
    b.add(2106.0, "track_ended", file="peak/06 Open Sky.flac")
    b.add(2400.0, "calmer_ended", phase="Peak", reason="time up")
    b.add(2400.0, "track_started", phase="Peak", file="peak/06 Open Sky.flac")
    b.add(2406.0, "track_ended", file="calmer/08 Still.flac")
    b.add(2500.0, "phase_extended", "web", phase="Peak", minutes=5, planned_end_s=3420.0)
    b.add(3000.0, "marked", "button", text="patient spoke")
    if not ended:
        return b
    b.add(3300.0, "phase_advanced", "cli", **{"from": "Peak", "to": "Return"})
    b.add(3300.0, "phase_ended", phase="Peak", index=2)
    b.add(3300.0, "phase_started", phase="Return", index=3, planned_start_s=3300.0, planned_end_s=4200.0)
    b.add(3300.0, "track_started", phase="Return", file="return/07 Shore.flac")
    b.add(3306.0, "track_ended", file="peak/06 Open Sky.flac")
    b.add(4200.0, "track_ended", file="return/07 Shore.flac")
    b.add(4200.0, "phase_ended", phase="Return", index=3)
    b.add(4200.0, "session_ended", reason="completed")
    b.add(4200.0, "state_changed", **{"from": "playing", "to": "ended"})
    return b
