"""The engine's side of a restart: save what it needs, and read it back with the clocks and the playlist.

The format and the downtime's rules are pure (player/core/resume.py); the session core takes
the session up (`SessionMachine.restore`). Here is the I/O around them: the clocks read now,
the state file (through the `RecordKeeper`), the playlist loaded again. Engine thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from player.clock import Clock
from player.core.effects import Effect
from player.core.resume import ClockReadings, downtime, parse_saved, to_saved
from player.core.session import SessionMachine
from player.engine.records import RecordKeeper
from player.errors import PlaylistInvalid
from player.playlist.model import Playlist

log = logging.getLogger(__name__)


def clocks(clock: Clock) -> ClockReadings:
    return ClockReadings(clock.wall(), clock.boottime(), clock.boot_id())


def save(machine: SessionMachine, keeper: RecordKeeper, clock: Clock, *, position_s: float | None,
         master_db: float | None) -> None:
    """Save the running session for a restart (nothing when none runs)."""
    s = machine.session
    if s is None:
        return
    keeper.save_state(to_saved(
        state=machine.state, session_id=s.id, playlist_path=str(s.playlist.path), timeline=s.timeline,
        elapsed_s=machine.elapsed(clock.monotonic()), clocks=clocks(clock), track_index=s.cursor.track_index,
        position_s=position_s, master_db=master_db, fading_out=s.fading_out, checkpoints=s.checkpoints.to_dict(),
        calmer=None if s.calmer is None else s.calmer.to_saved()))


def restore(machine: SessionMachine, keeper: RecordKeeper, clock: Clock,
            load_playlist: Callable[[Path], Playlist]) -> list[Effect]:
    """A session cut short by a crash or power cut: the core's effects to take it up, or none (start idle)."""
    try:
        saved = parse_saved(keeper.load_state())
    except ValueError as exc:
        log.error("cannot resume the saved session (%s); starting idle", exc)
        keeper.save_state(None)
        return []
    if saved is None:
        return []
    try:
        playlist = load_playlist(Path(saved.playlist_path))
    except (PlaylistInvalid, OSError) as exc:
        log.error("cannot resume session %s: its playlist %s cannot be loaded (%s); starting idle",
                  saved.session_id, saved.playlist_path, exc)
        keeper.save_state(None)
        return []
    missing = keeper.open_session(saved.session_id).missing
    down = downtime(saved, clocks(clock), saved.timeline.projected_end_s(saved.elapsed_s))
    if not down.plausible:
        log.warning("restart of %s: %s; resuming paused for staff", saved.session_id, down.note)
    try:
        return machine.restore(saved, playlist, clock.monotonic(), down, log_missing=missing)
    except ValueError as exc:
        log.error("cannot resume session %s (%s); starting idle", saved.session_id, exc)
        keeper.close_session()
        keeper.save_state(None)
        return []
