"""Music feedback's pure core: the answer's checks, the record's details, what counts, the sums across sessions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from player.config import load_config
from player.control.controller import check_control
from player.control.fake import planned_only
from player.core.controls import MusicFeedback, Start
from player.core.effects import RecordFeedback
from player.core.music_feedback import (
    ANSWERS,
    MAX_NOTE_CHARS,
    answer_details,
    check_answer,
    heard,
    latest_answers,
    refusal,
    sum_feedback,
)
from player.core.running import MixerView
from player.core.session import SessionMachine
from player.core.vocabulary import check_record, describe
from player.errors import SessionRefused


def rec(answer: str, *, track: str | None = None, phase: str | None = None, note: str | None = None,
        time: str = "2026-11-25T11:00:00.000+01:00") -> dict:
    return {"time": time, "session_id": "s", "type": "music_feedback", "source": "web",
            "details": answer_details(answer=answer, track=track, phase=phase, note=note)}


def test_an_answer_is_about_exactly_one_track_or_phase():
    assert check_answer({"session": "s1", "track": " peak/b1.flac ", "answer": "helped"}) == {
        "session": "s1", "track": "peak/b1.flac", "answer": "helped"}
    assert check_answer({"session": "s1", "phase": "peak", "answer": "unwelcome", "note": " too loud "}) == {
        "session": "s1", "phase": "peak", "answer": "unwelcome", "note": "too loud"}
    with pytest.raises(ValueError, match="exactly one track or one phase"):
        check_answer({"session": "s1", "track": "a", "phase": "b", "answer": "helped"})
    with pytest.raises(ValueError, match="exactly one track or one phase"):
        check_answer({"session": "s1", "answer": "helped"})


@pytest.mark.parametrize("answer", ["liked", "", None, 1, "Helped"])
def test_only_the_three_answers(answer):
    with pytest.raises(ValueError, match="answer must be one of helped, neutral, unwelcome"):
        check_answer({"session": "s1", "track": "a.flac", "answer": answer})


@pytest.mark.parametrize("note", ["line one\nline two", "BP \u202e28/821", "tab\there", "x" * (MAX_NOTE_CHARS + 1),
                                  "a\u2028b", "a\x85b"])
def test_a_note_is_one_line_without_direction_overrides(note):
    with pytest.raises(ValueError, match=f"note must be one line of at most {MAX_NOTE_CHARS} characters"):
        check_answer({"session": "s1", "track": "a.flac", "answer": "neutral", "note": note})


def test_a_blank_note_is_no_note_and_rtl_text_with_marks_is_kept():
    assert "note" not in check_answer({"session": "s1", "track": "a.flac", "answer": "neutral", "note": "   "})
    hebrew = "\u200fהמוזיקה עזרה"
    assert check_answer({"session": "s1", "track": "a.flac", "answer": "helped", "note": hebrew})["note"] == hebrew


def test_the_door_refuses_like_every_edge_and_gives_the_typed_control():
    c = check_control("feedback", "web", {"session": "s1", "track": "a.flac", "answer": "helped", "note": "calm"})
    assert c == MusicFeedback(session="s1", answer="helped", track="a.flac", note="calm")
    assert c.args == {"session": "s1", "answer": "helped", "track": "a.flac", "note": "calm"}
    with pytest.raises(SessionRefused, match="note must be one line"):
        check_control("feedback", "web", {"session": "s1", "track": "a", "answer": "helped", "note": "\u202eevil"})
    with pytest.raises(SessionRefused, match="feedback takes no text"):
        check_control("feedback", "web", {"session": "s1", "track": "a", "answer": "helped", "text": "x"})
    with pytest.raises(SessionRefused, match="session must be non-empty"):
        check_control("feedback", "cli", {"track": "a", "answer": "helped"})


def test_the_record_fits_the_vocabulary_and_reads_as_a_line():
    for details in (answer_details(answer="helped", track="a.flac", note="felt held"),
                    answer_details(answer="neutral", phase="peak")):
        check_record("music_feedback", "web", details)
    assert describe(rec("helped", track="a.flac", note="felt held")) == "music feedback: a.flac helped (felt held)"
    assert describe(rec("unwelcome", phase="peak")) == "music feedback: peak unwelcome"
    with pytest.raises(ValueError):
        check_record("music_feedback", "web", {"track": "a.flac"})


def test_the_latest_answer_per_item_counts_and_every_one_is_kept():
    records = [rec("helped", track="a.flac"), rec("neutral", phase="peak"), rec("unwelcome", track="a.flac",
                                                                               note="too much", time="t2")]
    latest = latest_answers(records)
    assert [(k, a.answer, a.note, a.time) for k, a in latest.items()] == [
        (("phase", "peak"), "neutral", None, "2026-11-25T11:00:00.000+01:00"),
        (("track", "a.flac"), "unwelcome", "too much", "t2")]


def test_odd_fields_of_an_answer_are_left_out():
    odd = [{"type": "music_feedback", "time": 5, "details": {"answer": "helped", "track": "a", "note": ""}},
           {"type": "music_feedback", "details": {"answer": "neutral", "phase": "p", "note": 7}}]
    assert [(a.note, a.time) for a in latest_answers(odd).values()] == [(None, None), (None, None)]
    assert answer_details(answer="helped", phase="p", note="") == {"phase": "p", "answer": "helped"}


def test_the_limits_and_the_words_exactly():
    def refused(args: dict, message: str) -> None:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            check_answer({"session": "s1", "answer": "helped", **args})

    assert check_answer({"session": "s" * 128, "phase": "p", "answer": "helped"})["session"] == "s" * 128
    refused({"session": "s" * 129, "phase": "p"}, "session must be one line of at most 128 characters")
    assert check_answer({"session": "s", "track": "t" * 500, "answer": "helped"})["track"] == "t" * 500
    refused({"track": "t\nu"}, "track must be one line of at most 500 characters")
    refused({"phase": "t" * 501}, "phase must be one line of at most 500 characters")
    assert check_answer({"session": "s", "phase": "p", "answer": "helped", "note": "n" * 200})["note"] == "n" * 200
    refused({"phase": "p", "note": 5}, "note must be text")
    refused({"phase": "p", "track": "t"}, "feedback is about exactly one track or one phase (give track or phase)")
    refused({"phase": "p", "answer": "x" * 300}, f"answer must be one of helped, neutral, unwelcome, got "
                                                 f"{'x' * 300!r}"[:160])


def test_the_order_is_tracks_then_phases_and_notes_are_counted():
    rows = sum_feedback([("s1", [rec("helped", phase="alpha", note="n"), rec("helped", track="zeta.flac")]),
                         ("s2", [rec("helped", phase="alpha", note="n")])])
    assert [(r["kind"], r["item"], r["notes"]) for r in rows] == [("track", "zeta.flac", 0), ("phase", "alpha", 2)]


def test_odd_records_are_not_answers():
    junk = [None, "x", {"type": "marked"}, {"type": "music_feedback"}, {"type": "music_feedback", "details": []},
            {"type": "music_feedback", "details": {"answer": "maybe", "track": "a"}},
            {"type": "music_feedback", "details": {"answer": "helped"}},
            {"type": "music_feedback", "details": {"answer": "helped", "track": 3}}]
    assert latest_answers(junk) == {}
    assert sum_feedback([("s", junk)]) == []


def test_sums_per_track_across_sessions():
    sessions = [
        ("s1", [rec("helped", track="a.flac", note="warm"), rec("unwelcome", track="b.flac"),
                rec("neutral", track="a.flac", note="warm")]),                # changed: neutral counts
        ("s2", [rec("helped", track="a.flac"), rec("helped", phase="peak", note="safe")]),
        ("s3", []),
        ("s4", [rec("unwelcome", track="b.flac", note="choir"), rec("unwelcome", phase="peak")]),
    ]
    assert sum_feedback(sessions) == [
        {"kind": "track", "item": "a.flac", "helped": 1, "neutral": 1, "unwelcome": 0, "sessions": 2, "notes": 1},
        {"kind": "track", "item": "b.flac", "helped": 0, "neutral": 0, "unwelcome": 2, "sessions": 2, "notes": 1},
        {"kind": "phase", "item": "peak", "helped": 1, "neutral": 0, "unwelcome": 1, "sessions": 2, "notes": 1},
    ]
    assert set(ANSWERS) <= set(sum_feedback(sessions)[0])


LOG = [
    {"type": "session_started", "details": {}},
    {"type": "phase_started", "details": {"phase": "settling"}},
    {"type": "track_started", "details": {"phase": "settling", "file": "a.flac"}},
    {"type": "track_started", "details": {"phase": "settling", "file": "a.flac"}},   # after a restart
    {"type": "phase_started", "details": {"phase": "peak"}},
    {"type": "track_started", "details": {"phase": "peak", "file": "b.flac", "calmer": True}},
    {"type": "track_started", "details": {"file": ""}},
    "junk",
]


def test_odd_records_in_the_log_are_passed_over():
    odd = [{"type": "track_started", "details": ["file"]},
           {"type": "track_started", "details": {"file": "x", "phase": 3}},
           {"type": "phase_ended", "details": {"phase": "peak"}}, {"type": "phase_started", "details": {"phase": 4}}]
    assert heard(odd) == ([{"file": "x", "phase": None}], [], False)


def test_what_was_heard_and_whether_it_ended():
    assert heard(LOG) == ([{"file": "a.flac", "phase": "settling"}, {"file": "b.flac", "phase": "peak"}],
                          ["settling", "peak"], False)
    assert heard([*LOG, {"type": "session_ended", "details": {"reason": "stopped"}}])[2] is True


def test_feedback_only_about_a_finished_session_and_what_it_heard():
    ended = [*LOG, {"type": "session_ended", "details": {"reason": "stopped"}}]
    assert refusal(LOG, "s1", "a.flac", None) == "session s1 has not ended; ask about the music after it ended"
    assert refusal(ended, "s1", "a.flac", None) is None
    assert refusal(ended, "s1", None, "peak") is None
    assert refusal(ended, "s1", "c.flac", None) == "track 'c.flac' was not heard in session s1"
    assert refusal(ended, "s1", None, "recovery") == ("phase 'recovery' was not reached in session s1; "
                                                      "phases: settling, peak")


def test_the_clinic_may_close_feedback_some_time_after_the_session_ended():
    end = {"type": "session_ended", "time": "2026-11-25T10:00:00.000+01:00", "details": {"reason": "stopped"}}
    ended = [*LOG, end]
    before = datetime(2026, 11, 28, 10, 0, tzinfo=timezone(timedelta(hours=1)))     # 72 h later, exactly
    assert refusal(ended, "s1", "a.flac", None, now=before, editable_s=72 * 3600.0) is None
    after = before + timedelta(seconds=1)
    assert refusal(ended, "s1", "a.flac", None, now=after, editable_s=72 * 3600.0) == (
        "music feedback for session s1 closed 72 h after it ended (the clinic's music_feedback.editable_s)")
    assert refusal(ended, "s1", "a.flac", None, now=after) is None                    # unset: always
    assert refusal(ended, "s1", "a.flac", None, now=after, editable_s=0.0) is not None
    for odd in ("yesterday", "2026-11-25T10:00:00", None):                             # no time to judge by
        assert refusal([*LOG, {**end, "time": odd}], "s1", "a.flac", None, now=after, editable_s=60.0) is None


def test_the_core_accepts_it_in_every_state_and_asks_the_engine_to_write_it():
    m = SessionMachine(load_config({}))
    effects = m.command(MusicFeedback(session="s0", answer="helped", track="a.flac", note="calm"), "web", 0.0,
                        MixerView())
    assert RecordFeedback("s0", "web", {"track": "a.flac", "answer": "helped", "note": "calm"}) in effects
    assert m.state == "idle"


def test_the_running_session_is_not_asked_about_yet():
    m = SessionMachine(load_config({}))
    m.command(Start(playlist=planned_only("p.yaml"), session_id="now"), "cli", 0.0, MixerView())
    with pytest.raises(SessionRefused, match="^this session is still running; ask about the music after it ended$"):
        m.command(MusicFeedback(session="now", answer="helped", phase="x"), "web", 1.0, MixerView())
    assert m.state == "playing"
    effects = m.command(MusicFeedback(session="before", answer="neutral", phase="peak"), "cli", 2.0, MixerView())
    assert RecordFeedback("before", "cli", {"phase": "peak", "answer": "neutral"}) in effects
