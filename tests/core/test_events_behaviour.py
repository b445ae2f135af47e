"""The event vocabulary as its readers meet it: what a record says to people, and what the engine may write.

`describe` is what staff read in the report, on the web page and in the CLI; `check_record` is
the gate every record the engine writes goes through. These tests hold both to what they are
for: a record the report cannot make sense of still reads as something, a missing value reads
as nothing (not "None"), and the engine cannot write a record with a field missing or extra.
"""

from __future__ import annotations

import pytest

from player.core.vocabulary import SOURCES, STAFF_SOURCES, TYPES, check_record, describe


def test_a_missing_value_reads_as_nothing_not_as_none() -> None:
    assert describe({"type": "marked", "details": {"text": None}}) == "marker: "
    assert describe({"type": "marked", "details": {}}) == "marker: "


def test_a_value_is_shown_as_written() -> None:
    assert describe({"type": "marked", "details": {"text": "BP 128/82"}}) == "marker: BP 128/82"
    assert describe({"type": "volume_changed", "details": {"from_db": -20.0, "to_db": -17}}) == \
        "volume -20.0 -> -17 dB"


def test_durations_read_as_clock_time_and_a_non_number_as_a_question_mark() -> None:
    assert describe({"type": "resumed", "details": {"paused_s": 65}}) == "resumed after 1:05 paused"
    assert describe({"type": "resumed", "details": {"paused_s": 65.4}}) == "resumed after 1:05 paused"
    for odd in (True, False, "65", None):           # a bool is not a duration, though Python counts it an int
        assert describe({"type": "resumed", "details": {"paused_s": odd}}) == "resumed after ? paused"


def test_details_that_are_not_an_object_read_as_empty() -> None:
    for odd in (None, ["text"], "text", 7):
        assert describe({"type": "marked", "details": odd}) == "marker: "
    assert describe({"type": "marked"}) == "marker: "


def test_an_unknown_record_type_shows_its_name_and_details_readably() -> None:
    """A record from a newer version (or a hand-edited log) is shown, not dropped: name, then details."""
    record = {"type": "future_thing", "details": {"zeta": 1, "alpha": "Müller"}}
    assert describe(record) == 'future_thing: {"alpha": "Müller", "zeta": 1}'   # sorted, letters as written
    assert describe({"type": "future_thing", "details": None}) == "future_thing: {}"
    assert describe({"details": {}}) == "None: {}"


def test_every_type_reads_as_a_sentence_that_names_what_it_is_about() -> None:
    """Each record type, filled with its fields, reads without "None" and names its phase, file or text."""
    named = {"phase": "onset", "file": "a.flac", "text": "note", "message": "boom", "playlist": "Calm"}
    for kind in TYPES.values():
        details = {f: named.get(f, 1.0) for f in kind.fields}
        text = describe({"type": kind.name, "details": details})
        assert text and "None" not in text, kind.name
        for f in set(named) & set(kind.fields):
            if not (kind.name == "track_started" and f == "phase"):   # its sentence names the file
                assert named[f] in text, (kind.name, f, text)


def test_optional_details_add_to_the_sentence() -> None:
    assert describe({"type": "paused", "details": {}}) == "paused"
    assert describe({"type": "paused", "details": {"reason": "waiting for staff"}}) == "paused (waiting for staff)"
    restarted = {"gap_s": 42, "policy": "pause", "state_before": "playing"}
    assert describe({"type": "daemon_restarted", "details": restarted}) == \
        "player restarted after 0:42 down (resume policy pause)"
    assert describe({"type": "daemon_restarted", "details": {**restarted, "note": "clock behind"}}).endswith(
        "(resume policy pause); clock behind")


def test_the_engine_may_write_a_record_with_its_fields_and_optional_ones() -> None:
    check_record("marked", "web", {"text": "x"})
    check_record("paused", "button", {})
    check_record("paused", "system", {"reason": "restart"})
    for kind in TYPES.values():
        check_record(kind.name, "system", {**dict.fromkeys(kind.fields), **dict.fromkeys(kind.optional)})


def test_an_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown record type 'markd'"):
        check_record("markd", "web", {"text": "x"})


@pytest.mark.parametrize("source", ["Web", "engine", "", "gpio"])
def test_an_unknown_source_is_refused_by_name(source: str) -> None:
    with pytest.raises(ValueError, match=f"unknown source {source!r}"):
        check_record("marked", source, {"text": "x"})


def test_a_missing_field_alone_is_refused_and_named() -> None:
    with pytest.raises(ValueError, match=r"^resumed: missing \['planned_end_s'\], unexpected \[\]$"):
        check_record("resumed", "web", {"paused_s": 1.0})


def test_an_extra_field_alone_is_refused_and_named() -> None:
    with pytest.raises(ValueError, match=r"^marked: missing \[\], unexpected \['txt'\]$"):
        check_record("marked", "web", {"text": "x", "txt": "y"})


def test_missing_and_extra_together_are_both_named() -> None:
    with pytest.raises(ValueError, match=r"^marked: missing \['text'\], unexpected \['txt'\]$"):
        check_record("marked", "web", {"txt": "y"})


def test_staff_sources_are_every_source_but_the_system() -> None:
    assert set(STAFF_SOURCES) == set(SOURCES) - {"system"}
    assert all(s in SOURCES for s in STAFF_SOURCES)
