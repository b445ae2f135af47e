"""Checkpoints anchored to the infusion (``after:``, ``until: infusion_end``) and a phase's
``until: infusion_end + 60m``, as `check` reads them: exact lines and words, and the expansion."""

from __future__ import annotations

import pytest

from player.playlist.checkpoint_spec import checkpoints_to_json, schedule_text
from player.playlist.parse import parse_playlist_data
from player.yamlsafe import load_yaml_text

# Two phases: 10 + 50 min, so the plan ends at 1:00:00 (3600 s).
HEAD = "name: x\nphases:\n  - {name: settling, duration: 10m}\n  - {name: recovery, duration: 50m}\ncheckpoints:\n"
FIRST = 6


def parse(text: str):
    spec, found = parse_playlist_data(load_yaml_text(text), "p.yaml")
    return spec, [(d.line, d.message) for d in found if d.severity == "error"]


def test_a_repeat_after_the_infusion_start_until_its_end_is_expanded_over_the_plan() -> None:
    spec, errors = parse(HEAD + "  - {at: 15m, after: infusion_start, text: BP and HR, repeat: 15m, "
                                "until: infusion_end}\n")
    assert errors == []
    cps = spec.checkpoints
    assert [(cp.at_s, cp.after, cp.stop, cp.nth) for cp in cps] == [
        (900.0, "infusion_start", "infusion_end", 0), (1800.0, "infusion_start", "infusion_end", 1),
        (2700.0, "infusion_start", "infusion_end", 2)]          # 3600 would be the plan's end: never reached
    assert schedule_text(cps[0]) == "15 min after infusion start, every 15 min until infusion end"
    assert checkpoints_to_json(cps[:1]) == [{"at_s": 900.0, "text": "BP and HR", "after": "infusion_start",
                                            "until": "infusion_end"}]


def test_plain_before_anchored_start_before_end_in_the_flat_list() -> None:
    spec, errors = parse(HEAD + "  - {at: 50m, after: infusion_end, text: discharge check}\n"
                                "  - {at: 5m, after: infusion_start, text: BP}\n  - {at: 9m, text: baseline}\n")
    assert errors == []
    assert [(cp.text, cp.after) for cp in spec.checkpoints] == [
        ("baseline", None), ("BP", "infusion_start"), ("discharge check", "infusion_end")]
    assert schedule_text(spec.checkpoints[2]) == "50 min after infusion end"


def test_the_same_time_and_text_from_different_events_are_not_duplicates() -> None:
    spec, errors = parse(HEAD + "  - {at: 5m, after: infusion_start, text: BP}\n"
                                "  - {at: 5m, after: infusion_end, text: BP}\n  - {at: 5m, text: BP}\n")
    assert errors == [] and len(spec.checkpoints) == 3
    _, errors = parse(HEAD + "  - {at: 5m, after: infusion_end, text: BP}\n"
                             "  - {at: 5m, after: infusion_end, text: bp}\n")
    assert errors == [(FIRST + 1, "duplicate checkpoint 'bp' at 5 min after infusion end (first at line 6)")]


@pytest.mark.parametrize(("item", "line", "message"), [
    ("{at: 5m, after: infusion_stop, text: BP}", FIRST,
     "after: 'infusion_stop' is not an event a checkpoint can count from; use infusion_start or infusion_end "
     "(recorded by session-player infusion start|end)"),
    ("{at: 5m, text: BP, repeat: 5m, until: infusion_start}", FIRST,
     "until: 'infusion_start' is neither a duration (e.g. 1h40m) nor an event a repeat can end at (infusion_end)"),
    ("{at: 5m, after: infusion_end, text: BP, repeat: 5m, until: infusion_end}", FIRST,
     "until: infusion_end with after: infusion_end: the repeats would end before they begin "
     "(count after infusion_start, or until a duration)"),
    ("{at: 5m, text: BP, until: infusion_end}", FIRST, "'until' needs 'repeat' (how often until then)"),
    ("{at: 1h, after: infusion_start, text: BP}", FIRST,
     "checkpoint at 1:00:00 is at or beyond the plan's end (1:00:00): the session is over then"),
])
def test_a_bad_anchor_is_named_at_its_line(item: str, line: int, message: str) -> None:
    spec, errors = parse(HEAD + f"  - {item}\n")
    assert errors == [(line, message)]
    assert spec.checkpoints == ()


def test_a_duration_until_counts_from_the_anchor_too() -> None:
    spec, errors = parse(HEAD + "  - {at: 15m, after: infusion_end, text: BP, repeat: 15m, until: 45m}\n")
    assert errors == [] and [cp.at_s for cp in spec.checkpoints] == [900.0, 1800.0, 2700.0]
    assert all(cp.stop is None and cp.every_s == 900.0 for cp in spec.checkpoints)


PHASES = "name: x\nphases:\n  - {name: settling, duration: 10m}\n  - name: recovery\n    duration: 40m\n    until: %s\n"


@pytest.mark.parametrize(("until", "margin"), [("infusion_end + 60m", 3600.0), ("infusion_end+1h", 3600.0),
                                               ("infusion_end + 45:00", 2700.0)])
def test_a_phase_lasting_until_the_infusion_end_plus_a_margin(until: str, margin: float) -> None:
    spec, errors = parse(PHASES % until)
    assert errors == [] and [p.until_after_end_s for p in spec.phases] == [None, margin]


@pytest.mark.parametrize(("until", "message"), [
    ("60m", "phase 'recovery': until must be infusion_end + DURATION, e.g. until: infusion_end + 60m, got '60m'"),
    ("infusion_start + 60m", "phase 'recovery': until must be infusion_end + DURATION, e.g. until: infusion_end "
                             "+ 60m; 'infusion_start' is not an event a phase can last until"),
    ("infusion_end + 0m", "phase 'recovery': until must be infusion_end + DURATION, e.g. until: infusion_end "
                          "+ 60m; the time after the infusion's end must be positive"),
    ("infusion_end + soon", "phase 'recovery': cannot read duration 'soon': use 90, 90s, 10m, 1h5m or 1:30:00"),
])
def test_a_bad_phase_until_is_named_at_its_line(until: str, message: str) -> None:
    spec, errors = parse(PHASES % until)
    assert errors == [(6, message)]


def test_errors_name_the_line_of_the_key_in_a_block_mapping() -> None:
    body = ("  - at: 5m\n    text: BP\n    after: infusion_end\n    repeat: 5m\n    until: infusion_end\n"
            "  - at: 5m\n    text: HR\n    repeat: 10s\n    after: infusion_start\n"
            "  - at: 5m\n    text: RR\n    until: infusion_end\n")
    spec, errors = parse(HEAD + body)
    assert errors == [
        (FIRST + 4, "until: infusion_end with after: infusion_end: the repeats would end before they begin "
                    "(count after infusion_start, or until a duration)"),
        (FIRST + 7, "repeat must be at least 1:00, got 0:10"),
        (FIRST + 11, "'until' needs 'repeat' (how often until then)")]
    assert spec.checkpoints == ()


def test_after_the_end_a_checkpoint_may_reach_the_last_phases_until_margin() -> None:
    text = ("name: x\nphases:\n  - {name: settling, duration: 10m}\n  - name: recovery\n    duration: 50m\n"
            "    until: infusion_end + 90m\ncheckpoints:\n  - {at: 90m, after: infusion_end, text: discharge}\n"
            "  - {at: 75m, after: infusion_start, text: BP}\n")
    spec, errors = parse(text)
    assert errors == [(9, "checkpoint at 1:15:00 is at or beyond the plan's end (1:00:00): the session is over then")]
    assert [(cp.text, cp.at_s) for cp in spec.checkpoints] == [("discharge", 5400.0)]
    _, errors = parse(text.replace("90m, after", "91m, after").replace("  - {at: 75m, after: infusion_start, "
                                                                       "text: BP}\n", ""))
    assert errors == [(8, "checkpoint at 1:31:00 is at or beyond the plan's end (1:00:00): the session is over then")]
