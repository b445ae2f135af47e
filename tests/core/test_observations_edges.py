"""Observations at their edges: every refusal's whole text, every range's bounds, what the record keeps.

A refusal is what staff read at the bedside to fix a typo, so its whole text is pinned
(the example it gives, the unit, the range), not a word of it; a bound is pinned on both
sides (the last value recorded and the first refused). Complements test_observations.py.
"""

from __future__ import annotations

import pytest

from player.core.observation_kinds import ObservationKind
from player.core.observations import check_observation, describe_observation

EXTRA = {"temp": ObservationKind("temp", "Temp", "C", 30, 45, integer=False),
         "score": ObservationKind("score", "Score", "", 0, 5),
         "free": ObservationKind("free", "Free", ""),
         "t": ObservationKind("t", "T", "C", 35, 36.25, integer=False)}


def refusal(*args, **kwargs) -> str:
    with pytest.raises(ValueError) as err:
        check_observation(*args, **kwargs)
    return str(err.value)


@pytest.mark.parametrize("kind,value,text", [
    ("hr", "", "hr needs a value, e.g. hr 135"),
    ("bp", "", "bp needs a value, e.g. bp 155/90"),     # a pair, as bp is written (it said "bp 155")
    ("hr", None, "hr needs a value, e.g. hr 135"),
    ("spo2", " ", "spo2 needs a value, e.g. spo2 75"),
    ("rr", "", "rr needs a value, e.g. rr 32"),
    ("sedation", "", "sedation needs a value, e.g. sedation 0"),
    ("nausea", "", "nausea needs a value, e.g. nausea 5"),
    ("hr", "72.5", "hr is a whole number, e.g. hr 135; got '72.5'"),
    ("nausea", "1.5", "nausea is a whole number, e.g. nausea 5; got '1.5'"),
    ("rr", "x", "rr is a number in /min, e.g. rr 32; got 'x'"),
    ("hr", "72.000", "hr is a number in bpm, e.g. hr 135; got '72.000'"),   # two decimals at most
    ("hr", "12345", "hr is a number in bpm, e.g. hr 135; got '12345'"),     # four digits at most
    ("hr", "1e2", "hr is a number in bpm, e.g. hr 135; got '1e2'"),
    ("hr", 1e20, "hr is a number in bpm, e.g. hr 135; got '1e+20'"),
    ("hr", ["7", "2"], "hr is a number in bpm, e.g. hr 135; got '7 2'"),
    ("hr", [7], "expected a value such as 72 or 128/82, got list"),
    ("hr", False, "expected a value such as 72 or 128/82, got False"),
    ("hr", float("inf"), "expected a finite number, got inf"),
    ("hr", "19", "hr 19 bpm is outside the plausible range 20-250 bpm: a typo? nothing was recorded"),
    ("hr", "251", "hr 251 bpm is outside the plausible range 20-250 bpm: a typo? nothing was recorded"),
    ("spo2", "49", "spo2 49 % is outside the plausible range 50-100 %: a typo? nothing was recorded"),
    ("bp", "128", "bp is systolic/diastolic in mmHg, e.g. bp 128/82; got '128'"),
    ("bp", "12345/82", "bp is systolic/diastolic in mmHg, e.g. bp 128/82; got '12345/82'"),
    ("bp", "128  82 4", "bp is systolic/diastolic in mmHg, e.g. bp 128/82; got '128  82 4'"),
    ("bp", "82/82", "bp 82/82: systolic must be above diastolic (written systolic/diastolic)"),
    ("bp", "49/20", "systolic 49 mmHg is outside the plausible range 50-260 mmHg: a typo? nothing was recorded"),
    ("bp", "261/100", "systolic 261 mmHg is outside the plausible range 50-260 mmHg: a typo? nothing was recorded"),
    ("bp", "50/19", "diastolic 19 mmHg is outside the plausible range 20-160 mmHg: a typo? nothing was recorded"),
    ("bp", "200/161", "diastolic 161 mmHg is outside the plausible range 20-160 mmHg: a typo? nothing was recorded"),
    ("note", None, "a note needs text"),
    ("note", "  ", "a note needs text"),
    ("note", "x" * 201, "a note must be one line of at most 200 characters (no patient names)"),
    (5, "72", "unknown observation 5; one of bp, hr, spo2, rr, sedation, nausea, dizziness, grogginess, note"),
])
def test_each_refusal_says_exactly_what_to_fix(kind, value, text) -> None:
    assert refusal(kind, value) == text


@pytest.mark.parametrize("kind,value,text", [
    ("temp", "", "temp needs a value, e.g. temp 37.5"),                 # a fractional kind's example keeps a decimal
    ("temp", "37.555", "temp is a number in C, e.g. temp 37.5; got '37.555'"),
    ("temp", "29.99", "temp 29.99 C is outside the plausible range 30-45 C: a typo? nothing was recorded"),
    ("temp", 45.01, "temp 45.01 C is outside the plausible range 30-45 C: a typo? nothing was recorded"),
    ("score", "", "score needs a value, e.g. score 2"),
    ("score", "x", "score is a number in its unit, e.g. score 2; got 'x'"),   # no unit: "its unit"
    ("score", "9", "score 9 is outside the plausible range 0-5: a typo? nothing was recorded"),
    ("free", "", "free needs a value, e.g. free 1"),                    # no range: a plain example
    ("t", "", "t needs a value, e.g. t 35.6"),                          # the middle, to one decimal
])
def test_a_clinic_s_own_kinds_are_refused_in_their_own_terms(kind, value, text) -> None:
    assert refusal(kind, value, extra=EXTRA) == text


@pytest.mark.parametrize("kind,value,recorded", [
    ("hr", "20", 20), ("hr", "250", 250), ("hr", "+72", 72), ("hr", "72.00", 72), ("hr", 72.0, 72),
    ("spo2", "50", 50), ("rr", "4", 4), ("rr", "60", 60), ("sedation", "-5", -5), ("sedation", "6", 6),
])
def test_the_bounds_themselves_are_recorded_as_whole_numbers(kind, value, recorded) -> None:
    got = check_observation(kind, value)["value"]
    assert got == recorded and type(got) is int


def test_a_fractional_kind_keeps_its_fraction_and_its_bounds() -> None:
    assert check_observation("temp", "37.55", extra=EXTRA)["value"] == 37.55
    for value in (30, "45"):
        got = check_observation("temp", value, extra=EXTRA)["value"]
        assert type(got) is float
    assert check_observation("free", "-5000", extra=EXTRA)["value"] == -5000


@pytest.mark.parametrize("value", ["83/82", "50/20", "260/160", "0128/082", "128 / 82", " 128  82 "])
def test_a_blood_pressure_in_range_with_systolic_above_is_recorded(value) -> None:
    details = check_observation("bp", value)
    assert details["systolic"] > details["diastolic"]
    assert details["value"] == f"{details['systolic']}/{details['diastolic']}"


def test_the_record_holds_kind_label_unit_value_and_the_note_only_when_given() -> None:
    assert check_observation(" HR ", "72") == {"kind": "hr", "label": "HR", "unit": "bpm", "value": 72}
    assert check_observation("hr", 72, " after standing ") == {
        "kind": "hr", "label": "HR", "unit": "bpm", "note": "after standing", "value": 72}
    assert check_observation("bp", ["128", "82"]) == {
        "kind": "bp", "label": "BP", "unit": "mmHg", "value": "128/82", "systolic": 128, "diastolic": 82}
    assert check_observation("note", " calm ") == {"kind": "note", "label": "Note", "unit": "", "value": "calm"}


@pytest.mark.parametrize("note,text", [
    ("", "--note needs text"), (5, "--note needs text"),
    ("x" * 201, "--note must be one line of at most 200 characters (no patient names)"),
    ("a\nb", "--note must be one line of at most 200 characters (no patient names)"),
])
def test_a_note_is_one_short_line_of_text(note, text) -> None:
    assert refusal("hr", "72", note) == text
    assert refusal("note", "calm", "more") == "a note takes its text only, no --note"
    assert check_observation("hr", "72", "x" * 200)["note"] == "x" * 200


def test_the_human_text_of_a_record_even_a_damaged_one() -> None:
    assert describe_observation({"kind": "hr", "label": "HR", "value": 72, "unit": "bpm"}) == "HR 72 bpm"
    assert describe_observation({"kind": "hr", "value": 72}) == "hr 72"            # no label, no unit
    assert describe_observation({"kind": "x", "label": None, "value": 1, "unit": None, "note": ""}) == "x 1"
    assert describe_observation({"kind": "note", "label": "Note", "value": "calm", "note": "x"}) == "Note: calm (x)"
    assert describe_observation({}) == "None None"
