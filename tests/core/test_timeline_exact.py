"""Timeline arithmetic pinned exactly: every span field for past, current (paused) and future
phases, the boundaries (exactly at the end is due, a 1 s phase is a phase, zero extension is
refused), re-pausing, and the checks on a saved timeline. Beside test_timeline.py; written to
kill the survivors of mutation testing (python -m tests.mutation timeline)."""

from __future__ import annotations

import pytest

from player.core.timeline import PhaseSpan, Timeline

NAMES = ("settling", "onset", "peak", "recovery")
DURATIONS = (600.0, 900.0, 1200.0, 300.0)


def at_onset_paused() -> Timeline:
    """Settling ended at 620 s (extended 20 s); onset started then; paused at 700 s."""
    tl = Timeline.start(NAMES, DURATIONS).extend(20.0).next_phase(620.0)
    return tl.pause(700.0)


def test_every_span_field_for_past_current_and_future_phases() -> None:
    spans = at_onset_paused().spans(730.0)  # paused for 30 s so far
    assert spans == [
        PhaseSpan("settling", 0.0, 600.0, 0.0, 620.0, 0.0, 620.0),
        PhaseSpan("onset", 600.0, 1500.0, 620.0, None, 620.0, 1550.0),     # 620 + 900 + 30 s paused
        PhaseSpan("peak", 1500.0, 2700.0, None, None, 1550.0, 2750.0),
        PhaseSpan("recovery", 2700.0, 3000.0, None, None, 2750.0, 3050.0),
    ]
    assert at_onset_paused().projected_end_s(730.0) == 3050.0


def test_a_pause_that_just_began_adds_nothing_yet() -> None:
    tl = at_onset_paused()
    assert tl.projected_end_s(700.0) == 3020.0
    assert tl.spans(700.0)[1].expected_end_s == 1520.0
    assert tl.spans(690.0)[1].expected_end_s == 1520.0  # never less than nothing


def test_unpaused_spans_follow_the_phase_end() -> None:
    tl = Timeline.start(NAMES, DURATIONS).extend(60.0)
    assert [(s.expected_start_s, s.expected_end_s) for s in tl.spans(10.0)] == [
        (0.0, 660.0), (660.0, 1560.0), (1560.0, 2760.0), (2760.0, 3060.0)]


def test_due_exactly_at_the_end_and_never_while_paused() -> None:
    tl = Timeline.start(NAMES, DURATIONS)
    assert (tl.due(599.999), tl.due(600.0)) == (False, True)
    assert tl.pause(10.0).due(5000.0) is False


def test_a_second_pause_keeps_the_first_pause_time() -> None:
    assert Timeline.start(NAMES, DURATIONS).pause(10.0).pause(20.0).paused_at_s == 10.0


def test_resume_without_a_pause_changes_nothing() -> None:
    tl = Timeline.start(NAMES, DURATIONS)
    assert tl.resume(50.0) == (tl, 0.0)


def test_short_phases_are_phases_and_bad_plans_are_refused() -> None:
    assert Timeline.start(("a", "b"), (1.0, 0.5)).phase_end_s == 1.0
    for names, durations in [((), ()), (("a",), (1.0, 2.0)), (("a", "b"), (1.0, 0.0))]:
        with pytest.raises(ValueError, match="^a timeline needs at least one phase, each with a positive duration$"):
            Timeline.start(names, durations)


def test_extensions_must_be_positive_and_the_last_phase_has_no_next() -> None:
    tl = Timeline.start(NAMES, DURATIONS)
    with pytest.raises(ValueError, match="^an extension must be positive$"):
        tl.extend(0.0)
    last = tl.next_phase(600).next_phase(1500).next_phase(2700)
    with pytest.raises(ValueError, match="^already in the last phase$"):
        last.next_phase(3000)


def test_saved_timelines_round_trip_paused_or_not() -> None:
    for tl in (Timeline.start(NAMES, DURATIONS), at_onset_paused()):
        assert Timeline.from_dict(tl.to_dict()) == tl
    saved = Timeline.start(NAMES, DURATIONS).to_dict()
    del saved["actual"]
    assert Timeline.from_dict(saved) == Timeline.start(NAMES, DURATIONS)  # older files without "actual"


def test_inconsistent_saved_timelines_are_refused() -> None:
    past = at_onset_paused().next_phase(1600).next_phase(2800).to_dict()  # in recovery: index 3, 3 actual
    beyond = dict(past, index=4, actual=past["actual"] + [[2800.0, 3100.0]])
    short = dict(Timeline.start(NAMES, DURATIONS).to_dict(), durations_s=[600.0])
    for saved in (beyond, short, dict(past, index=-1)):
        with pytest.raises(ValueError, match="^saved timeline is inconsistent$"):
            Timeline.from_dict(saved)
