"""Music feedback on the disk: each finished session's ``music-feedback.jsonl``, and the check before an answer.

The one writer is the engine thread: a ``feedback`` control comes through the `Controller`
like every other, the session core turns it into a `RecordFeedback` effect, and the engine
appends it (`feedback_record`, then `RecordKeeper.append_to`: one JSON line, fsync'd; the
file and its folder fsync'd when it is created; kept in memory and retried while the disk
refuses, like every record). The session's ``events.jsonl`` is never touched again after
``session_ended``: the session's own record stays as it was when it ended, and the answers,
which may come minutes or days later and may be changed, live beside it.

`check_session` runs in the caller's thread (the engine never reads files for a caller): the
session must exist, have ended, and have heard the track (or reached the phase) answered about.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from player.core.controls import MusicFeedback
from player.core.effects import RecordFeedback
from player.core.music_feedback import RECORD_TYPE, refusal
from player.core.vocabulary import check_record
from player.engine.eventlog import SESSIONS_DIR, check_session_id, scan_events, session_log_path
from player.errors import SessionNotFound, SessionRefused

FEEDBACK_FILE = "music-feedback.jsonl"


def feedback_path(data_dir: str | os.PathLike[str], session_id: str) -> Path:
    """``<data_dir>/sessions/<session_id>/music-feedback.jsonl``, after checking the id."""
    return Path(data_dir) / SESSIONS_DIR / check_session_id(session_id) / FEEDBACK_FILE


def check_session(data_dir: Path, control: MusicFeedback, *, now: datetime | None = None,
                  editable_s: float | None = None) -> None:
    """Refuse feedback for a session that is unknown, has not ended, never heard that track or phase, or
    ended longer ago than the clinic keeps answers open (`editable_s`, judged by the wall time `now`).

    Raises:
        SessionRefused: with a message staff can act on (nothing is written).
    """
    try:
        path = session_log_path(data_dir, control.session)
        events, _ = scan_events(path)
    except SessionNotFound as exc:
        raise SessionRefused(str(exc)) from None
    except FileNotFoundError:
        raise SessionRefused(f"no session {control.session!r}; 'session-player sessions' lists them") from None
    except OSError as exc:
        raise SessionRefused(f"cannot read session {control.session}: {exc.strerror or exc}") from None
    why = refusal(events, control.session, control.track, control.phase, now=now, editable_s=editable_s)
    if why is not None:
        raise SessionRefused(why)


def feedback_record(effect: RecordFeedback, time: str, actor: dict | None) -> dict:
    """The line the engine appends (its format: player/core/music_feedback.py)."""
    check_record(RECORD_TYPE, effect.source, effect.details)
    record = {"time": time, "session_id": effect.session_id, "type": RECORD_TYPE, "source": effect.source,
              "details": dict(effect.details)}
    if actor and effect.source != "system":
        record["actor"] = actor
    return record
