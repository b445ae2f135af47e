"""Structured observations: the table of good and bad inputs, the config's extra kinds, one check for every edge."""

from __future__ import annotations

import pytest

from player.config import config_from_mapping
from player.control.controller import check_control
from player.core.observation_kinds import BUILTIN, parse_kinds
from player.core.observations import check_observation, describe_observation
from player.errors import ConfigInvalid, SessionRefused

GOOD = [
    ("bp", "128/82", {"value": "128/82", "systolic": 128, "diastolic": 82, "unit": "mmHg", "label": "BP"}),
    ("bp", " 128 / 82 ", {"value": "128/82"}),
    ("bp", "128 82", {"value": "128/82"}),
    ("BP", ["128/82"], {"kind": "bp"}),
    ("bp", "260/160", {"systolic": 260}),
    ("bp", "50/20", {"diastolic": 20}),
    ("hr", "72", {"value": 72, "unit": "bpm"}),
    ("hr", 72, {"value": 72}),
    ("hr", 20, {"value": 20}),
    ("hr", "250", {"value": 250}),
    ("spo2", "97", {"value": 97, "unit": "%", "label": "SpO2"}),
    ("spo2", "100", {"value": 100}),
    ("rr", "14", {"value": 14, "unit": "/min"}),
    ("sedation", "-2", {"value": -2}),
    ("sedation", "5", {"value": 5}),
    ("nausea", "0", {"value": 0}),
    ("nausea", "10", {"value": 10}),
    ("nausea", "3", {"kind": "nausea", "label": "Nausea", "unit": "0-10", "value": 3, "none": 0}),
    ("dizziness", "0", {"kind": "dizziness", "label": "Dizziness", "unit": "0-10", "value": 0, "none": 0}),
    ("dizziness", "10", {"value": 10}),
    (" Grogginess ", "4", {"kind": "grogginess", "label": "Grogginess", "unit": "0-10", "value": 4, "none": 0}),
    ("note", "patient asked for a blanket", {"value": "patient asked for a blanket", "unit": ""}),
    ("note", ["calm", "and", "warm"], {"value": "calm and warm"}),
]

BAD = [
    ("bp", "1280/82", "systolic 1280 mmHg is outside the plausible range 50-260 mmHg"),
    ("bp", "128/820", "diastolic 820 mmHg is outside the plausible range 20-160 mmHg"),
    ("bp", "82/128", "systolic must be above diastolic"),
    ("bp", "128", "bp is systolic/diastolic in mmHg, e.g. bp 128/82"),
    ("bp", "128/82/4", "bp is systolic/diastolic"),
    ("bp", "12a/82", "bp is systolic/diastolic"),
    ("bp", "", "bp needs a value"),
    ("hr", "720", "hr 720 bpm is outside the plausible range 20-250 bpm"),
    ("hr", "0", "outside the plausible range"),
    ("hr", "72.5", "hr is a whole number"),
    ("hr", "seventy", "hr is a number in bpm"),
    ("hr", True, "expected a value such as 72"),
    ("hr", float("nan"), "expected a finite number"),
    ("hr", {"x": 1}, "expected a value such as 72"),
    ("spo2", "101", "spo2 101 % is outside the plausible range 50-100 %"),
    ("spo2", "9.7", "spo2 is a whole number"),
    ("rr", "140", "outside the plausible range 4-60"),
    ("sedation", "7", "outside the plausible range -5-6"),
    ("nausea", "11", "outside the plausible range 0-10"),
    ("nausea", "-1", "outside the plausible range"),
    ("dizziness", "11", "dizziness 11 0-10 is outside the plausible range 0-10"),
    ("dizziness", "2.5", "dizziness is a whole number, e.g. dizziness 5"),
    ("grogginess", "-1", "grogginess -1 0-10 is outside the plausible range 0-10"),
    ("grogginess", "", "grogginess needs a value, e.g. grogginess 5"),
    ("note", "", "a note needs text"),
    ("note", "two\nlines", "a note must be one line"),
    ("note", "x" * 201, "at most 200 characters"),
    ("temp", "37", "unknown observation 'temp'; one of bp, hr, spo2, rr, sedation, nausea, dizziness, grogginess, "
                   "note"),
    (None, "37", "unknown observation None"),
]


@pytest.mark.parametrize("kind,value,expected", GOOD)
def test_good_inputs(kind, value, expected) -> None:
    details = check_observation(kind, value)
    assert {k: details[k] for k in expected} == expected


@pytest.mark.parametrize("kind,value,words", BAD)
def test_bad_inputs_say_what_to_fix(kind, value, words) -> None:
    with pytest.raises(ValueError, match=None) as err:
        check_observation(kind, value)
    assert words in str(err.value)


@pytest.mark.parametrize("kind,value,words", BAD)
def test_every_edge_refuses_the_same_way(kind, value, words) -> None:
    with pytest.raises(SessionRefused) as err:
        check_control("observe", "web", {"kind": kind, "value": value})
    assert words in str(err.value)


def test_a_note_on_an_observation() -> None:
    assert check_observation("hr", "72", "after standing")["note"] == "after standing"
    with pytest.raises(ValueError, match="one line"):
        check_observation("hr", "72", "a\u2028b")
    with pytest.raises(ValueError, match="no --note"):
        check_observation("note", "calm", "more")


def test_check_control_keeps_only_what_the_rules_need() -> None:
    assert check_control("observe", "cli", {"kind": "bp", "value": "128 / 82", "note": " sitting "}).args == {
        "kind": "bp", "value": "128/82", "note": "sitting"}
    with pytest.raises(SessionRefused, match="observe takes no colour"):
        check_control("observe", "cli", {"kind": "hr", "value": 72, "colour": 1})


def test_ack_text_is_optional_and_one_line() -> None:
    assert check_control("ack", "cli", {}).args == {}
    assert check_control("ack", "cli", {"text": " BP "}).args == {"text": "BP"}
    assert check_control("ack", "cli", {"text": "  "}).args == {}
    with pytest.raises(SessionRefused, match="one line"):
        check_control("ack", "cli", {"text": "a\nb"})
    with pytest.raises(SessionRefused, match="one line"):
        check_control("ack", "cli", {"text": 7})


def test_human_text() -> None:
    assert describe_observation(check_observation("bp", "128/82")) == "BP 128/82 mmHg"
    assert describe_observation(check_observation("hr", "72", "standing")) == "HR 72 bpm (standing)"
    assert describe_observation(check_observation("note", "calm")) == "Note: calm"


def test_config_adds_kinds_and_narrows_builtins() -> None:
    config = config_from_mapping({"session": {"observation_kinds": {
        "etco2": {"unit": "mmHg", "min": 10, "max": 80},
        "sedation": {"label": "MOAA/S", "min": 0, "max": 5}}}})
    kinds = config.session.observation_kinds
    assert check_observation("etco2", "35.5", extra=kinds)["value"] == 35.5
    assert check_observation("sedation", "5", extra=kinds)["label"] == "MOAA/S"
    with pytest.raises(ValueError, match="outside the plausible range 0-5"):
        check_observation("sedation", "-2", extra=kinds)
    with pytest.raises(SessionRefused, match="etco2 90 mmHg is outside"):
        check_control("observe", "web", {"kind": "etco2", "value": 90}, kinds)
    with pytest.raises(SessionRefused, match="unknown observation 'etco2'"):
        check_control("observe", "web", {"kind": "etco2", "value": 30})   # not in this clinic's config


@pytest.mark.parametrize("value,words", [
    ([1], "expected a mapping of kinds"),
    ({"EtCO2": {"min": 1, "max": 2}}, "must be a short lower-case word"),
    ({"etco2": {"min": 1}}, "etco2.max: expected a number, got None"),
    ({"etco2": {"min": 5, "max": 2}}, "min (5) must be below max (2)"),
    ({"etco2": {"min": 1, "max": 2, "colour": "red"}}, "expected {label, unit, min, max, integer, none}"),
    ({"etco2": {"min": 1, "max": 2, "unit": "x" * 21}}, "etco2.unit: expected one short line"),
    ({"etco2": {"min": 1, "max": 2, "integer": "yes"}}, "etco2.integer: expected true or false"),
    ({"bp": {"min": 1, "max": 2}}, "only number kinds can change"),
])
def test_bad_kinds_in_the_config(value, words) -> None:
    with pytest.raises(ValueError) as err:
        parse_kinds(value)
    assert words in str(err.value)
    with pytest.raises(ConfigInvalid, match="session.observation_kinds"):
        config_from_mapping({"session": {"observation_kinds": value}})


def test_builtin_ranges_cover_real_readings() -> None:
    assert {k: (v.lo, v.hi) for k, v in BUILTIN.items() if v.form == "number"} == {
        "hr": (20, 250), "spo2": (50, 100), "rr": (4, 60), "sedation": (-5, 6), "nausea": (0, 10),
        "dizziness": (0, 10), "grogginess": (0, 10)}


def test_the_none_level_goes_with_the_value_only_where_the_scale_has_one() -> None:
    assert "none" not in check_observation("hr", "72") and "none" not in check_observation("sedation", "0")
    assert "none" not in check_observation("note", "calm") and "none" not in check_observation("bp", "120/80")
    kinds = parse_kinds({"sedation": {"label": "MOAA/S", "min": 0, "max": 5, "none": 5},
                         "pain": {"min": 0, "max": 10, "none": 0, "integer": False}})
    assert check_observation("sedation", "4", extra=kinds)["none"] == 5 and \
        type(check_observation("sedation", "4", extra=kinds)["none"]) is int
    assert check_observation("pain", "2.5", extra=kinds)["none"] == 0.0 and \
        type(check_observation("pain", "2.5", extra=kinds)["none"]) is float
    assert describe_observation(check_observation("dizziness", "2")) == "Dizziness 2 0-10"
