"""`parse_kinds`, exactly: what a clinic's kinds keep from the built-in ones, and every refusal's words."""

from __future__ import annotations

import pytest

from player.core.observation_kinds import BUILTIN, ObservationKind, kinds_table, parse_kinds


def test_a_builtin_narrowed_by_one_bound_keeps_the_rest_of_itself() -> None:
    assert parse_kinds({"hr": {"max": 180}})["hr"] == ObservationKind("hr", "HR", "bpm", 20.0, 180.0, True)
    assert parse_kinds({"hr": {"min": 30}})["hr"] == ObservationKind("hr", "HR", "bpm", 30.0, 250.0, True)
    assert parse_kinds({"spo2": {"label": "Sat"}})["spo2"] == ObservationKind("spo2", "Sat", "%", 50.0, 100.0, True)
    assert parse_kinds({"nausea": {"unit": "score", "integer": False}})["nausea"] == ObservationKind(
        "nausea", "Nausea", "score", 0.0, 10.0, False, none=0.0)


def test_a_new_kind_takes_its_name_as_label_no_unit_and_any_number() -> None:
    kind = parse_kinds({"etco2": {"min": 10, "max": 80}})["etco2"]
    assert kind == ObservationKind("etco2", "etco2", "", 10.0, 80.0, False)
    assert type(kind.lo) is float and type(kind.hi) is float and kind.form == "number"
    assert parse_kinds({"etco2": {"min": 10, "max": 80, "label": "", "integer": True}})["etco2"].label == "etco2"
    assert parse_kinds({"etco2": {"min": 10, "max": 80, "integer": True}})["etco2"].integer is True


def test_the_edges_of_what_is_accepted() -> None:
    assert parse_kinds({"a" * 20: {"min": 0, "max": 1}})                    # a 20-letter name
    assert parse_kinds({"x": {"min": 0, "max": 1, "unit": "u" * 20, "label": "l" * 20}})["x"].unit == "u" * 20
    assert parse_kinds({"x": {"min": -1.5, "max": -1.25}})["x"].hi == -1.25
    assert parse_kinds({}) == {}


@pytest.mark.parametrize(("value", "words"), [
    ([1], "expected a mapping of kinds, e.g. {etco2: {unit: mmHg, min: 10, max: 80}}"),
    ({"a" * 21: {"min": 0, "max": 1}}, f"kind {'a' * 21!r} must be a short lower-case word (letters, digits, _)"),
    ({"x": [1]}, "x: expected {label, unit, min, max, integer, none}"),
    ({"x": {"min": 1}}, "x.max: expected a number, got None"),
    ({"x": {"max": 1}}, "x.min: expected a number, got None"),
    ({"x": {"min": True, "max": 2}}, "x.min: expected a number, got True"),
    ({"x": {"min": 1, "max": float("inf")}}, "x.max: expected a number, got inf"),
    ({"x": {"min": 2, "max": 2}}, "x: min (2) must be below max (2)"),
    ({"hr": {"min": 250}}, "hr: min (250) must be below max (250)"),
    ({"x": {"min": 0, "max": 1, "label": "l" * 21}}, "x.label: expected one short line of text"),
    ({"x": {"min": 0, "max": 1, "unit": 5}}, "x.unit: expected one short line of text, got 5"),
    ({"x": {"min": 0, "max": 1, "label": "a\nb"}}, "x.label: expected one short line of text"),
    ({"x": {"min": 0, "max": 1, "integer": 1}}, "x.integer: expected true or false, got 1"),
    ({"note": {"min": 0, "max": 1}}, "note: a built-in kind whose form is text; only number kinds can change"),
])
def test_refusals_name_the_kind_and_key(value, words) -> None:
    with pytest.raises(ValueError) as err:
        parse_kinds(value)
    assert str(err.value).startswith(words)


def test_the_table_is_the_builtins_with_the_clinics_changes() -> None:
    extra = parse_kinds({"hr": {"max": 180}, "etco2": {"min": 10, "max": 80}})
    table = kinds_table(extra)
    assert list(table) == [*BUILTIN, "etco2"] and table["hr"].hi == 180.0 and table["bp"] is BUILTIN["bp"]
    assert kinds_table() == BUILTIN and kinds_table(None) is not BUILTIN


def test_the_recovery_symptoms_are_built_in_0_to_10_with_0_as_none() -> None:
    for name, label in (("nausea", "Nausea"), ("dizziness", "Dizziness"), ("grogginess", "Grogginess")):
        assert BUILTIN[name] == ObservationKind(name, label, "0-10", 0, 10, True, none=0)
    assert list(BUILTIN)[-4:] == ["nausea", "dizziness", "grogginess", "note"]
    assert BUILTIN["sedation"].none is None   # RASS 0 is alert, MOAA/S 0 unresponsive: only the clinic knows
    assert all(BUILTIN[k].none is None for k in ("bp", "hr", "spo2", "rr", "note"))


def test_a_clinic_sets_or_clears_the_none_level() -> None:
    assert parse_kinds({"sedation": {"label": "MOAA/S", "min": 0, "max": 5, "none": 5}})["sedation"].none == 5.0
    assert type(parse_kinds({"sedation": {"none": 0}})["sedation"].none) is float
    assert parse_kinds({"nausea": {"none": None}})["nausea"].none is None
    assert parse_kinds({"nausea": {"max": 5}})["nausea"].none == 0.0            # kept from the built-in
    assert parse_kinds({"dizziness": {"min": 0, "max": 3}})["dizziness"] == ObservationKind(
        "dizziness", "Dizziness", "0-10", 0.0, 3.0, True, none=0.0)
    assert parse_kinds({"pain": {"min": 0, "max": 10, "none": 10}})["pain"].none == 10.0   # edges are inside
    assert parse_kinds({"pain": {"min": 0, "max": 10}})["pain"].none is None               # a new kind: none


@pytest.mark.parametrize(("value", "words"), [
    ({"nausea": {"min": 1, "max": 10}}, "nausea.none: 0 is outside min-max (1-10); set none: to the scale's "
                                        "'no symptom' value, or null"),
    ({"pain": {"min": 0, "max": 10, "none": 11}}, "pain.none: 11 is outside min-max (0-10)"),
    ({"pain": {"min": 0, "max": 10, "none": -0.5}}, "pain.none: -0.5 is outside min-max (0-10)"),
    ({"pain": {"min": 0, "max": 10, "none": "0"}}, "pain.none: expected the scale's 'no symptom' number or null, "
                                                   "got '0'"),
    ({"pain": {"min": 0, "max": 10, "none": True}}, "pain.none: expected the scale's 'no symptom' number or null"),
    ({"pain": {"min": 0, "max": 10, "none": float("nan")}}, "pain.none: expected the scale's"),
])
def test_a_none_level_off_the_scale_is_refused(value, words) -> None:
    with pytest.raises(ValueError) as err:
        parse_kinds(value)
    assert str(err.value).startswith(words)
