"""How the recovery symptoms resolved (player/reports/recovery.py), exactly: pure, on hand-made reports."""

from __future__ import annotations

import math

import pytest

from player.reports.recovery import (
    FROM_INFUSION_END,
    FROM_RECOVERY_PHASE,
    NO_NONE_LEVEL,
    NOT_OBSERVED,
    NOT_REACHED,
    NOT_RESOLVED,
    RECOVERY_KINDS,
    RESOLVED,
    course_text,
    infusion_end_s,
    outcome_text,
    recovery_course,
    recovery_phase_start_s,
    recovery_start,
    symptom_course,
)


def obs(elapsed_s: float, value: object, *, kind: str = "nausea", none: object = 0, **more: object) -> dict:
    row = {"elapsed_s": elapsed_s, "time": f"t{elapsed_s:g}", "value": value, "label": kind.title(),
           "unit": "0-10", "source": "web", **more}
    if none is not None:
        row["none"] = none
    return row


def ended(elapsed_s: object, **details: object) -> dict:
    return {"type": "infusion_ended", "elapsed_s": elapsed_s, "details": details}


def phase(name: str, start: object) -> dict:
    return {"name": name, "actual_start_s": start}


# --- when recovery begins ---------------------------------------------------------------

def test_the_infusion_end_is_its_at_s_else_the_record_time_and_the_last_record_wins() -> None:
    assert infusion_end_s([]) is None
    assert infusion_end_s([ended(2400.0)]) == 2400.0
    assert infusion_end_s([ended(2460.0, at_s=2400)]) == 2400.0            # recorded a minute late
    assert infusion_end_s([ended(2460.0, at_s="?")]) == 2460.0              # a damaged at_s: the record's time
    assert infusion_end_s([ended(2400.0), ended(2500.0, at_s=2450.0)]) == 2450.0   # a correction
    assert infusion_end_s([ended(2400.0), ended(None)]) == 2400.0           # a record without any time: ignored
    assert infusion_end_s([ended(None)]) is None
    assert infusion_end_s([{"type": "infusion_started", "elapsed_s": 600.0}, "junk", None,
                           {"type": "infusion_ended", "elapsed_s": 9.0, "details": "junk"}]) == 9.0


def test_the_recovery_phase_is_the_last_started_phase_named_recovery() -> None:
    assert recovery_phase_start_s([]) is None
    assert recovery_phase_start_s([phase("peak", 100.0), phase("Recovery ", 4200.0)]) == 4200.0
    assert recovery_phase_start_s([phase("recovery area", 10.0), phase("recovering", 20.0)]) == 20.0
    assert recovery_phase_start_s([phase("recovery", 4200.0), phase("recovery 2", None)]) == 4200.0
    assert recovery_phase_start_s([phase("after recovery", 1.0), phase(None, 2.0), "junk"]) is None
    assert recovery_phase_start_s([phase("recovery", None)]) is None        # never reached


def test_recovery_counts_from_the_infusion_end_before_the_recovery_phase() -> None:
    phases = [phase("peak", 1800.0), phase("recovery", 4200.0)]
    assert recovery_start({"events": [ended(2400.0)], "phases": phases}) == (2400.0, FROM_INFUSION_END)
    assert recovery_start({"events": [], "phases": phases}) == (4200.0, FROM_RECOVERY_PHASE)
    assert recovery_start({"events": [], "phases": phases[:1]}) == (None, None)
    assert recovery_start({}) == (None, None)


# --- one symptom ------------------------------------------------------------------------

def test_values_from_recovery_start_in_time_order_with_the_time_since() -> None:
    rows = [obs(100.0, 6), obs(4260.0, 2), obs(4500.0, 0), obs(4200.0, 4), obs(5000.0, 0)]
    c = symptom_course("nausea", rows, 4200.0)
    assert [(v["since_s"], v["elapsed_s"], v["value"]) for v in c["values"]] == [
        (0.0, 4200.0, 4), (60.0, 4260.0, 2), (300.0, 4500.0, 0), (800.0, 5000.0, 0)]
    assert c["values"][0] == {"since_s": 0.0, "elapsed_s": 4200.0, "time": "t4200", "value": 4, "source": "web"}
    assert (c["first"], c["last"], c["resolved"], c["resolved_since_s"], c["status"]) == (4, 0, True, 300.0, RESOLVED)
    assert (c["kind"], c["label"], c["unit"], c["none"]) == ("nausea", "Nausea", "0-10", 0)


def test_not_resolved_when_the_last_value_is_above_none_even_after_a_zero() -> None:
    c = symptom_course("dizziness", [obs(10.0, 3), obs(20.0, 0), obs(30.0, 1)], 0.0)
    assert (c["first"], c["last"], c["resolved"], c["resolved_since_s"], c["status"]) == (3, 1, False, None,
                                                                                        NOT_RESOLVED)


def test_resolved_since_is_the_start_of_the_last_run_at_none() -> None:
    c = symptom_course("nausea", [obs(10.0, 0), obs(20.0, 2), obs(30.0, 0), obs(40.0, 0)], 5.0)
    assert c["resolved_since_s"] == 25.0 and c["status"] == RESOLVED
    assert symptom_course("nausea", [obs(10.0, 0)], 10.0)["resolved_since_s"] == 0.0


def test_the_none_level_is_as_recorded_else_the_builtin_one() -> None:
    moaas = [obs(10.0, 3, kind="sedation", none=5), obs(20.0, 5, kind="sedation", none=5)]
    c = symptom_course("sedation", moaas, 0.0)
    assert (c["none"], c["resolved"], c["status"], c["label"]) == (5.0, True, RESOLVED, "Sedation")
    old_log = [obs(10.0, 2, none=None), obs(20.0, 0, none=None)]          # written before `none` was recorded
    assert symptom_course("nausea", old_log, 0.0)["resolved"] is True
    assert symptom_course("grogginess", [obs(1.0, 0, kind="grogginess", none=None)], 0.0)["status"] == RESOLVED
    assert symptom_course("nausea", [obs(1.0, 0, none=None), obs(2.0, 0, none="x")], 0.0)["none"] == 0


def test_the_label_and_unit_are_the_clinic_s_as_last_recorded() -> None:
    moaas = [obs(1.0, 3, kind="sedation", label="MOAA/S", unit="0-5", none=5)]
    c = symptom_course("sedation", moaas, 10.0)                     # rated only before recovery
    assert (c["label"], c["unit"], c["none"], c["status"]) == ("MOAA/S", "0-5", 5.0, NOT_OBSERVED)
    c = symptom_course("sedation", [*moaas, obs(20.0, 5, kind="sedation", label="Sed", none=5)], 10.0)
    assert (c["label"], c["status"]) == ("Sed", RESOLVED)


def test_a_scale_without_a_none_level_says_so_instead_of_guessing() -> None:
    c = symptom_course("sedation", [obs(10.0, 0, kind="sedation", none=None)], 0.0)   # RASS 0 or MOAA/S 0?
    assert (c["none"], c["resolved"], c["resolved_since_s"], c["status"]) == (None, None, None, NO_NONE_LEVEL)
    assert (c["first"], c["last"]) == (0, 0)
    assert symptom_course("pain", [obs(1.0, 0, none=None)], 0.0)["status"] == NO_NONE_LEVEL   # not built in


def test_not_observed_in_recovery_and_not_reached() -> None:
    before = [obs(100.0, 5)]
    c = symptom_course("nausea", before, 200.0)
    assert (c["values"], c["first"], c["last"], c["resolved"], c["status"]) == ([], None, None, None, NOT_OBSERVED)
    assert c["none"] == 0 and c["label"] == "Nausea"
    c = symptom_course("nausea", before, None)
    assert (c["values"], c["status"]) == ([], NOT_REACHED)
    c = symptom_course("dizziness", [], 0.0)
    assert (c["label"], c["unit"], c["none"], c["status"]) == ("Dizziness", "0-10", 0, NOT_OBSERVED)
    c = symptom_course("pain", [], 0.0)
    assert (c["label"], c["unit"], c["none"]) == ("pain", "", None)


def test_an_observation_at_the_very_start_counts_and_one_just_before_does_not() -> None:
    c = symptom_course("nausea", [obs(99.999, 9), obs(100.0, 1)], 100.0)
    assert [v["value"] for v in c["values"]] == [1]


def test_a_damaged_log_s_odd_rows_are_left_out_not_fatal() -> None:
    rows = [obs(10.0, "3"), obs(11.0, True), obs(12.0, None), obs(13.0, math.nan), {"value": 2}, "junk",
            obs(math.inf, 4), obs(14.0, 2.5), {"elapsed_s": 15.0, "value": 0}]
    c = symptom_course("nausea", rows, 0.0)
    assert [(v["elapsed_s"], v["value"]) for v in c["values"]] == [(14.0, 2.5), (15.0, 0)]
    assert c["resolved"] is True and c["values"][1]["time"] is None and c["values"][1]["source"] is None


# --- the whole course -------------------------------------------------------------------

def test_the_course_lists_the_four_symptoms_in_order() -> None:
    assert RECOVERY_KINDS == ("nausea", "sedation", "dizziness", "grogginess")
    report = {"events": [ended(2400.0)], "phases": [phase("recovery", 4200.0)],
              "observations": {"nausea": [obs(2500.0, 2), obs(3000.0, 0)], "hr": [obs(2500.0, 80, none=None)],
                               "dizziness": [obs(2000.0, 5, kind="dizziness")]}}
    course = recovery_course(report)
    assert (course["from"], course["start_s"]) == (FROM_INFUSION_END, 2400.0)
    assert [s["kind"] for s in course["symptoms"]] == list(RECOVERY_KINDS)
    assert [s["status"] for s in course["symptoms"]] == [RESOLVED, NOT_OBSERVED, NOT_OBSERVED, NOT_OBSERVED]
    assert course["symptoms"][0]["resolved_since_s"] == 600.0


def test_a_session_that_never_reached_recovery() -> None:
    course = recovery_course({"events": [], "phases": [phase("peak", 0.0)], "observations": {"nausea": [obs(1, 3)]}})
    assert (course["from"], course["start_s"]) == (None, None)
    assert {s["status"] for s in course["symptoms"]} == {NOT_REACHED}
    assert recovery_course({"observations": "junk"})["symptoms"][0]["status"] == NOT_REACHED


# --- words ------------------------------------------------------------------------------

def test_the_words_of_a_course() -> None:
    c = symptom_course("nausea", [obs(4200.0, 4), obs(4500.0, 2.5), obs(6600.0, 0)], 4200.0)
    assert course_text(c) == "4 → 2.5 → 0 (0:00, 5:00, 40:00)"
    assert outcome_text(c) == "resolved (0 since 40:00)"
    c = symptom_course("nausea", [obs(0.0, 4), obs(3600.0, 3)], 0.0)
    assert outcome_text(c) == "not resolved (last 3; none is 0)"
    assert course_text({"values": []}) == course_text({}) == "–"
    assert course_text({"values": [{"value": "x", "since_s": 1.0}]}) == "? (0:01)"


@pytest.mark.parametrize(("status", "words"), [
    (NOT_OBSERVED, "not observed"), (NOT_REACHED, "recovery not reached"),
    (NO_NONE_LEVEL, "no 'none' level on this scale")])
def test_the_other_outcomes_are_their_status(status, words) -> None:
    assert outcome_text({"status": status}) == words
