"""The patient's music feedback after a session: its answers, its record, and the sums across sessions (pure).

After the session staff enter the patient's answers on the chair page (or the patient does,
on a tablet in the recovery area): per track heard, or per phase, "helped", "neutral" or
"unwelcome", and a short free note. Each answer is one record in the finished session's
``music-feedback.jsonl`` (player/engine/feedback_log.py writes it, on the engine thread)::

    {"time": "2026-11-25T11:02:41.120+01:00", "session_id": "20261125-090000-room-3",
     "type": "music_feedback", "source": "web",
     "details": {"track": "peak/b1.flac", "answer": "helped", "note": "felt held"}}

(``phase`` instead of ``track`` for an answer about a whole phase.) Answers are never
rewritten: a changed answer is a new record, the latest per track (or phase) counts, and
every earlier one stays in the file. `latest_answers` picks what counts; `sum_feedback`
adds up the sessions per track for the clinician (``session-player music-feedback``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from player.core.effects import RecordFeedback
from player.errors import SessionRefused
from player.oneline import is_one_line

if TYPE_CHECKING:
    from player.core.controls import MusicFeedback
    from player.core.session import Moment, SessionMachine

ANSWERS = ("helped", "neutral", "unwelcome")
RECORD_TYPE = "music_feedback"
MAX_NOTE_CHARS = 200
MAX_NAME_CHARS = 500     # a track's file as the session recorded it (a relative path), or a phase's name


def _one_line(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be non-empty text")
    text = value.strip()
    if len(text) > limit or not is_one_line(text):
        raise ValueError(f"{what} must be one line of at most {limit} characters")
    return text


def check_answer(args: Mapping[str, object]) -> dict:
    """The arguments of a ``feedback`` control, checked and normalized.

    ``session`` (the finished session's id), exactly one of ``track`` (its file, as the
    session recorded it) or ``phase`` (a phase's name), ``answer`` (helped, neutral,
    unwelcome) and an optional ``note`` (one line, at most 200 characters; blank: none).

    Raises:
        ValueError: with a message staff can act on.
    """
    session = _one_line(args.get("session"), "session", 128)
    if ("track" in args and args["track"] is not None) == ("phase" in args and args["phase"] is not None):
        raise ValueError("feedback is about exactly one track or one phase (give track or phase)")
    key = "track" if args.get("track") is not None else "phase"
    answer = args.get("answer")
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)}, got {answer!r}"[:160])
    out: dict = {"session": session, key: _one_line(args[key], key, MAX_NAME_CHARS), "answer": answer}
    note = args.get("note")
    if note is not None:
        if not isinstance(note, str):
            raise ValueError("note must be text")
        if note.strip():
            out["note"] = _one_line(note, "note", MAX_NOTE_CHARS)
    return out


def answer_details(*, answer: str, track: str | None = None, phase: str | None = None,
                   note: str | None = None) -> dict:
    """A ``music_feedback`` record's details: the item (track or phase), the answer, the note when given."""
    item = {"track": track} if track is not None else {"phase": phase}
    return {**item, "answer": answer, **({"note": note} if note else {})}


def heard(events: Iterable[object]) -> tuple[list[dict], list[str], bool]:
    """What a session's log says was heard: tracks (``{"file", "phase"}``, each once, in the order first
    heard), phases entered (in order), and whether the session ended (a ``session_ended`` record)."""
    tracks, phases, ended = _walk(events)
    return tracks, phases, ended is not None


def _walk(events: Iterable[object]) -> tuple[list[dict], list[str], Mapping | None]:
    tracks: dict[str, dict] = {}
    phases: dict[str, None] = {}
    ended: Mapping | None = None
    for record in events:
        if not isinstance(record, Mapping):
            continue
        d = record.get("details") if isinstance(record.get("details"), Mapping) else {}
        kind = record.get("type")
        if kind == "track_started" and isinstance(d.get("file"), str) and d["file"]:
            phase = d.get("phase")
            tracks.setdefault(d["file"], {"file": d["file"], "phase": phase if isinstance(phase, str) else None})
        elif kind == "phase_started" and isinstance(d.get("phase"), str):
            phases.setdefault(d["phase"], None)
        elif kind == "session_ended":
            ended = record
    return list(tracks.values()), list(phases), ended


def _ended_at(record: Mapping) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(record.get("time")))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def refusal(events: Iterable[object], session_id: str, track: str | None, phase: str | None, *,
            now: datetime | None = None, editable_s: float | None = None) -> str | None:
    """Why feedback about `track` or `phase` cannot go to this session's records (None: it can).

    With `editable_s` (the clinic's ``music_feedback.editable_s``), answers are taken until that
    long after the session ended, judged by the wall time `now`; unset, always.
    """
    tracks, phases, ended = _walk(events)
    if ended is None:
        return f"session {session_id} has not ended; ask about the music after it ended"
    if editable_s is not None and now is not None:
        ended_at = _ended_at(ended)
        if ended_at is not None and (now - ended_at).total_seconds() > editable_s:
            return (f"music feedback for session {session_id} closed {editable_s / 3600:.3g} h after it "
                    "ended (the clinic's music_feedback.editable_s)")
    if track is not None and track not in {t["file"] for t in tracks}:
        return f"track {track!r} was not heard in session {session_id}"
    if phase is not None and phase not in phases:
        return f"phase {phase!r} was not reached in session {session_id}; phases: {', '.join(phases)}"
    return None


def give_feedback(m: SessionMachine, c: MusicFeedback, when: Moment) -> None:
    """The ``feedback`` control's handler: the answer goes to its finished session's feedback file.

    The engine checked before (in the caller's thread, player/engine/feedback_log.py) that the
    session ended and heard that track or phase; a session running now has not ended.
    """
    if m.session is not None and m.session.id == c.session:
        raise SessionRefused("this session is still running; ask about the music after it ended")
    m.emit(RecordFeedback(c.session, when.source, answer_details(answer=c.answer, track=c.track, phase=c.phase,
                                                                 note=c.note)))


@dataclass(frozen=True)
class Answer:
    """One answer that counts: the latest about its item in its session."""

    kind: str           # "track" or "phase"
    item: str           # the track's file, or the phase's name
    answer: str
    note: str | None
    time: str | None


def _answer_of(record: object) -> Answer | None:
    """The answer a record holds, or None for anything else (another type, a field gone wrong)."""
    if not isinstance(record, Mapping) or record.get("type") != RECORD_TYPE:
        return None
    d = record.get("details")
    if not isinstance(d, Mapping) or d.get("answer") not in ANSWERS:
        return None
    kind = "track" if isinstance(d.get("track"), str) else "phase" if isinstance(d.get("phase"), str) else None
    if kind is None:
        return None
    note = d.get("note")
    time = record.get("time")
    return Answer(kind, d[kind], str(d["answer"]), note if isinstance(note, str) and note else None,
                  time if isinstance(time, str) else None)


def latest_answers(records: Iterable[object]) -> dict[tuple[str, str], Answer]:
    """What counts in one session: per (kind, item) the last answer in file order (the one writer's order)."""
    latest: dict[tuple[str, str], Answer] = {}
    for record in records:
        answer = _answer_of(record)
        if answer is not None:
            latest.pop((answer.kind, answer.item), None)     # re-inserted: the dict keeps the order answered
            latest[(answer.kind, answer.item)] = answer
    return latest


def sum_feedback(sessions: Iterable[tuple[str, Iterable[object]]]) -> list[dict]:
    """Per track (then per phase) across sessions: counts of each answer, sessions, notes.

    `sessions` gives each session's id and its feedback records; only the latest answer per
    item and session counts. Rows are sorted by kind (tracks first), then by name.

    Returns:
        ``[{"kind", "item", "helped", "neutral", "unwelcome", "sessions", "notes"}]``
    """
    rows: dict[tuple[str, str], dict] = {}
    for _session_id, records in sessions:
        for (kind, item), answer in latest_answers(records).items():
            row = rows.setdefault((kind, item), {"kind": kind, "item": item, **dict.fromkeys(ANSWERS, 0),
                                                 "sessions": 0, "notes": 0})
            row[answer.answer] += 1
            row["sessions"] += 1
            row["notes"] += answer.note is not None
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0] != "track", k[1]))]
