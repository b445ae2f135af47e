"""The playlist's ``checkpoints:`` key, parsed and expanded: exact diagnostics (line, words) and schedules."""

from __future__ import annotations

import pytest

from player.playlist.checkpoint_spec import MAX_CHECKPOINTS, checkpoints_to_json
from player.playlist.parse import parse_playlist_data
from player.yamlsafe import load_yaml_text

# Two phases: 10 + 50 min, so the plan ends at 1:00:00 (3600 s).
HEAD = "name: x\nphases:\n  - {name: settling, duration: 10m}\n  - {name: onset, duration: 50m}\ncheckpoints:\n"
FIRST = 6  # the line of the first checkpoint below HEAD


def parse(body: str):
    spec, found = parse_playlist_data(load_yaml_text(HEAD + body), "p.yaml")
    return spec, [(d.line, d.message) for d in found if d.severity == "error"]


def times(body: str) -> list[tuple[float, str, int]]:
    spec, errors = parse(body)
    assert errors == []
    return [(cp.at_s, cp.text, cp.line) for cp in spec.checkpoints]


def test_plain_checkpoints_come_out_in_time_order_with_their_lines() -> None:
    assert times("  - {at: 50m, text: BP end}\n  - {at: 40m, text: BP and sedation}\n") == [
        (2400.0, "BP and sedation", FIRST + 1), (3000.0, "BP end", FIRST)]


def test_repeat_runs_to_until_inclusive() -> None:
    assert [t for t, _, _ in times("  - {at: 10m, text: HR, repeat: 15m, until: 40m}\n")] == [600, 1500, 2400]


def test_repeat_without_until_stops_before_the_plan_ends() -> None:
    assert [t for t, _, _ in times("  - {at: 30m, text: HR, repeat: 10m}\n")] == [1800, 2400, 3000]


def test_no_key_or_null_is_no_checkpoints() -> None:
    spec, _ = parse_playlist_data(load_yaml_text(HEAD.removesuffix("checkpoints:\n")), "p.yaml")
    assert spec.checkpoints == ()
    assert times("") == []


def test_json_shape_for_plan_and_the_first_record() -> None:
    spec, _ = parse("  - {at: 40m, text: BP}\n")
    assert checkpoints_to_json(spec.checkpoints) == [{"at_s": 2400.0, "text": "BP"}]


@pytest.mark.parametrize("body,line,words", [
    ("  - {at: 70m, text: late}\n", FIRST, "checkpoint at 1:10:00 is at or beyond the plan's end (1:00:00)"),
    ("  - {at: 60m, text: end}\n", FIRST, "at or beyond the plan's end"),
    ("  - {at: 10m, text: x, repeat: 10m, until: 2h}\n", FIRST, "checkpoint until 2:00:00 is at or beyond"),
    ("  - {at: 40m, text: BP}\n  - {at: 40m, text: bp}\n", FIRST + 1,
     "duplicate checkpoint 'bp' at 40:00 (first at line 6)"),
    ("  - {at: 10m, text: HR, repeat: 10m}\n  - {at: 30m, text: HR}\n", FIRST + 1,
     "duplicate checkpoint 'HR' at 30:00"),
    ("  - {at: 2x, text: bad}\n", FIRST, "at: cannot read duration '2x'"),
    ("  - {at: -5m, text: bad}\n", FIRST, "at must not be negative"),
    ("  - {at: -300, text: bad}\n", FIRST, "at must not be negative"),
    ("  - {text: no time}\n", FIRST, "a checkpoint needs 'at', e.g. at: 40m"),
    ("  - {at: 5m}\n", FIRST, "a checkpoint needs 'text'"),
    ("  - {at: 5m, text: '  '}\n", FIRST, "a checkpoint needs 'text'"),
    ("  - {at: 5m, txt: BP}\n", FIRST, "unknown key 'txt' in a checkpoint (did you mean 'text'?)"),
    ("  - {at: 5m, text: x, until: 20m}\n", FIRST, "'until' needs 'repeat'"),
    ("  - {at: 20m, text: x, repeat: 5m, until: 10m}\n", FIRST, "until (10:00) is before at (20:00)"),
    ("  - {at: 5m, text: x, repeat: 5}\n", FIRST, "repeat must be at least 1:00, got 0:05"),
    ("  - BP at 40m\n", FIRST, "a checkpoint is a mapping {at: DURATION, text: TEXT}"),
    ("  - {at: 5m, text: '" + "x" * 121 + "'}\n", FIRST, "one line of at most 120 characters"),
])
def test_bad_checkpoints_are_errors_at_their_line(body: str, line: int, words: str) -> None:
    _, errors = parse(body)
    assert any(at == line and words in message for at, message in errors), errors


def test_checkpoints_must_be_a_list() -> None:
    _, errors = parse("  at: 5m\n")
    assert errors == [(5, "'checkpoints' must be a list of {at: DURATION, text: TEXT}")]


def test_too_many_after_repeats_is_one_error_at_the_key() -> None:
    body = "".join(f"  - {{at: {m}m, text: HR{m}, repeat: 1m}}\n" for m in range(3))
    _, errors = parse(body)
    assert errors == [(5, f"{60 + 59 + 58} checkpoints after repeats; the limit is {MAX_CHECKPOINTS}")]


def test_the_plan_end_is_not_checked_when_a_phase_is_broken() -> None:
    text = "name: x\nphases:\n  - {name: settling}\ncheckpoints:\n  - {at: 5h, text: late}\n"
    _, found = parse_playlist_data(load_yaml_text(text), "p.yaml")
    assert not any("plan's end" in d.message for d in found)
