"""The checker's answer and identity as the root parent reads them (pure: `player.usb.answer`)."""

from __future__ import annotations

import json

import pytest

from player.usb.answer import BadAnswer, identity_of, identity_problem, parse_answer

STATUS = """Name:\tpython3
Uid:\t65534\t65534\t65534\t65534
Gid:\t65534\t65534\t65534\t65534
Groups:\t
CapInh:\t0000000000000000
CapPrm:\t0000000000000000
CapEff:\t0000000000000000
CapBnd:\t0000000000000000
CapAmb:\t0000000000000000
NoNewPrivs:\t1
"""
IDENTITY = identity_of(STATUS)
STAGED = {"result": "staged", "summary": "s", "accepted": ["playlists/calm.yaml"], "refusals": [], "warnings": [],
          "files": 1, "bytes": 9, "levels": {}, "staging": ".staging-12-0123abcd"}


def encode(**body: object) -> bytes:
    return json.dumps({"protocol": 1, "identity": IDENTITY, **body}).encode()


def test_identity_of_reads_the_kernels_lines():
    assert IDENTITY["Uid"] == "65534 65534 65534 65534" and IDENTITY["Groups"] == "" and "Name" not in IDENTITY


def test_an_unprivileged_identity_passes():
    assert identity_problem(IDENTITY, 65534, 65534, empty_bounding=True) is None


@pytest.mark.parametrize(("change", "why"), [
    ({"Uid": "65534 0 65534 65534"}, "it ran as uid 65534 0 65534 65534, not 65534"),
    ({"Uid": "0 0 0 0"}, "not 65534"),
    ({"Gid": "65534 65534 0 65534"}, "it ran as gid"),
    ({"Groups": "0"}, "it had supplementary groups 0"),
    ({"CapEff": "0000000000200000"}, "it held capabilities (CapEff=200000)"),
    ({"CapPrm": "1"}, "CapPrm=1"),
    ({"CapAmb": "1"}, "CapAmb=1"),
    ({"CapBnd": "000001ffffffffff"}, "CapBnd=1ffffffffff"),
    ({"NoNewPrivs": "0"}, "no_new_privs was not set"),
    ({"CapEff": "zz"}, "its identity could not be read"),
    ({"Uid": None}, "its identity could not be read"),
])
def test_a_privileged_or_unreadable_identity_is_named(change, why):
    identity = {k: v for k, v in {**IDENTITY, **change}.items() if v is not None}
    assert why in identity_problem(identity, 65534, 65534, empty_bounding=True)


def test_the_bounding_set_and_groups_are_checked_only_when_the_parent_could_drop_them():
    kept = {**IDENTITY, "CapBnd": "000001ffffffffff", "Groups": "1000 27"}
    assert identity_problem(kept, 65534, 65534, groups=[27, 1000], empty_bounding=False) is None
    assert identity_problem(kept, 65534, 65534, groups=None, empty_bounding=False) is None


def test_a_staged_answer_is_taken_field_by_field():
    answer = parse_answer(encode(report={**STAGED, "extra": "dropped", "time": "forged"}))
    assert answer.staging == ".staging-12-0123abcd" and answer.error is None
    assert answer.report["accepted"] == ["playlists/calm.yaml"] and "extra" not in answer.report
    assert "time" not in answer.report and "staging" not in answer.report


def test_an_error_answer():
    answer = parse_answer(encode(error="cannot read"))
    assert answer.error == "cannot read" and answer.report is None


@pytest.mark.parametrize(("data", "why"), [
    (b"", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[" * 100_000, "not JSON"),
    (b"[]", "not a protocol 1 answer"),
    (json.dumps({"protocol": 2, "identity": IDENTITY}).encode(), "not a protocol 1 answer"),
    (json.dumps({"protocol": 1}).encode(), "no identity"),
    (json.dumps({"protocol": 1, "identity": {**IDENTITY, "Uid": 0}}).encode(), "no identity"),
    (encode(error=3), "an error that is not text"),
    (encode(error="x", report=STAGED), "both an error and a report"),
    (encode(report="imported"), "the report is not an object"),
    (encode(report={**STAGED, "result": "imported"}), "result 'imported' is neither"),
    (encode(report={**STAGED, "summary": None}), "the summary is not text"),
    (encode(report={**STAGED, "accepted": "playlists/a.yaml"}), "accepted is not a list of strings"),
    (encode(report={**STAGED, "accepted": ["../../etc/passwd"]}), "not a name in playlists/"),
    (encode(report={**STAGED, "accepted": ["playlists/a/b.yaml"]}), "not a name in playlists/"),
    (encode(report={**STAGED, "refusals": [{"subject": "x"}]}), "not {subject, reason}"),
    (encode(report={**STAGED, "warnings": "none"}), "warnings is not a list"),
    (encode(report={**STAGED, "files": -1}), "files is not a count"),
    (encode(report={**STAGED, "bytes": 1.5}), "bytes is not a count"),
    (encode(report={**STAGED, "bytes": True}), "bytes is not a count"),
    (encode(report={**STAGED, "levels": []}), "levels is not an object"),
    (encode(report={**STAGED, "levels": {"a": [1]}}), "a level note is not a list of strings"),
    (encode(report={**STAGED, "staging": "../../etc"}), "is not a staging folder's name"),
    (encode(report={**STAGED, "staging": None}), "is not a staging folder's name"),
    (encode(report={**STAGED, "accepted": []}), "staged with no accepted playlist"),
    (encode(report={**STAGED, "result": "unchanged"}), "unchanged, yet it names"),
])
def test_what_is_not_an_answer(data, why):
    with pytest.raises(BadAnswer) as caught:
        parse_answer(data)
    assert why in str(caught.value)
