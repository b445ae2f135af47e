"""One deck, by what it is for: muted until its stream has truly started, a heard track never cut,
a stream that stops moving noticed, and a deck that is done holding nothing.

Pure: each test drives a `Deck` through a scenario (the readings libVLC would give, the events
the mixer would fire) and checks what the deck says, as described in player/core/deck.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.deck import MAX_EXTRAPOLATION_S, POSITION_POLL_S, Cue, Deck, DeckError, DeckState
from player.core.gain import Glide
from player.core.media import Source

S = DeckState
STALL_S, START_S, SETTLE_S = 3.0, 2.0, 1.0
EVENTS = ("started", "settled", "cue", "fade_out", "faded", "drained", "pause", "resume", "fail", "ended", "stop")


def deck(started_at: float = 0.0) -> Deck:
    return Deck("A", Source(Path("/m/a.flac"), 7, duration_s=100.0), 1, started_at, SETTLE_S, Cue("enter"),
                Glide.at(0.0, 1.0))


def observe(d: Deck, now: float, raw: float | None) -> str | None:
    return d.observe(now, raw, stall_timeout_s=STALL_S, start_timeout_s=START_S)


def walk(*events: str) -> Deck:
    d = deck()
    for event in events:
        d.fire(event)
    return d


TO_AUDIBLE = ("started", "settled", "cue")


# --- the life of a deck --------------------------------------------------------------------

def test_a_track_is_heard_only_after_it_started_and_pre_rolled_then_fades_drains_and_is_done() -> None:
    d = deck()
    assert [d.fire(e) for e in (*TO_AUDIBLE, "fade_out", "faded", "drained")] == \
        [S.PREROLL, S.READY, S.AUDIBLE, S.FADING_OUT, S.DRAINING, S.IDLE]


def test_a_deck_counts_as_heard_from_its_cue_on_never_before() -> None:
    d = deck()
    for event in ("started", "settled"):
        d.fire(event)
        assert not d.heard and not d.is_sounding
    d.fire("cue")
    assert d.heard and d.is_sounding
    d.fire("fade_out")
    assert d.is_sounding                           # still heard while it fades
    d.fire("faded")
    assert d.heard and not d.is_sounding           # draining: muted, but it was heard


def test_a_faster_fade_may_replace_a_slower_one() -> None:
    d = walk(*TO_AUDIBLE, "fade_out")
    assert d.fire("fade_out") is S.FADING_OUT and d.is_sounding


def test_a_paused_track_pre_rolls_again_before_it_is_heard() -> None:
    d = walk(*TO_AUDIBLE, "pause")
    assert d.state is S.PAUSED and not d.is_sounding
    assert d.fire("resume") is S.PREROLL
    assert [d.fire(e) for e in ("settled", "cue")] == [S.READY, S.AUDIBLE]


@pytest.mark.parametrize("before", [(), ("started",), ("started", "settled"), (*TO_AUDIBLE, "pause")])
def test_a_track_that_fails_before_it_is_heard_has_failed(before: tuple[str, ...]) -> None:
    assert walk(*before).fire("fail") is S.FAILED


def test_a_heard_track_that_fails_fades_out_and_is_never_cut() -> None:
    d = walk(*TO_AUDIBLE)
    assert d.fire("fail") is S.FADING_OUT and d.is_sounding


@pytest.mark.parametrize("before", [(*TO_AUDIBLE, "fade_out"), (*TO_AUDIBLE, "fade_out", "faded")])
def test_a_track_that_fails_while_fading_or_draining_is_simply_done(before: tuple[str, ...]) -> None:
    assert walk(*before).fire("fail") is S.IDLE


@pytest.mark.parametrize("before", [TO_AUDIBLE, (*TO_AUDIBLE, "fade_out"), (*TO_AUDIBLE, "fade_out", "faded")])
def test_a_heard_track_that_ends_is_done(before: tuple[str, ...]) -> None:
    assert walk(*before).fire("ended") is S.IDLE


@pytest.mark.parametrize("before", [(), ("started",), ("started", "settled")])
def test_a_track_that_ends_before_it_was_ever_heard_has_failed(before: tuple[str, ...]) -> None:
    assert walk(*before).fire("ended") is S.FAILED       # cannot decode, or empty


LIVE_WALKS = {S.LOADING: (), S.PREROLL: ("started",), S.READY: ("started", "settled"), S.AUDIBLE: TO_AUDIBLE,
              S.FADING_OUT: (*TO_AUDIBLE, "fade_out"), S.DRAINING: (*TO_AUDIBLE, "fade_out", "faded"),
              S.PAUSED: (*TO_AUDIBLE, "pause")}


@pytest.mark.parametrize("state", list(LIVE_WALKS))
def test_a_deck_can_be_stopped_in_every_state_that_holds_a_slot(state: DeckState) -> None:
    d = walk(*LIVE_WALKS[state])
    assert d.state is state and d.can("stop")
    assert d.fire("stop") is S.IDLE


@pytest.mark.parametrize("done", [("stop",), ("fail",), ("ended",)])
def test_a_deck_that_is_done_accepts_nothing_more(done: tuple[str, ...]) -> None:
    d = walk(*done)
    assert d.state in (S.IDLE, S.FAILED)
    for event in EVENTS:
        assert not d.can(event)
        with pytest.raises(DeckError):
            d.fire(event)


def test_an_event_the_state_does_not_allow_is_a_bug_named_plainly_and_changes_nothing() -> None:
    d = walk("started")
    with pytest.raises(DeckError, match=r"^deck A \(a\.flac\): 'cue' not allowed when pre-rolling$"):
        d.fire("cue")
    assert d.state is S.PREROLL and not d.heard


# --- reading the stream's position --------------------------------------------------------------

def test_a_stream_has_started_when_it_reports_playing_and_its_time_advances() -> None:
    d = deck()
    assert observe(d, 0.1, 0.0) is None
    assert observe(d, 0.2, 0.25) is None             # it advances, but libVLC has not said Playing yet
    d.seen_playing = True
    assert observe(d, 0.3, 0.25) == "started"


def test_reporting_playing_is_not_enough_its_time_must_advance() -> None:
    d = deck()
    d.seen_playing = True
    assert observe(d, 0.1, 0.5) is None              # one reading: nothing to compare with
    assert observe(d, 0.2, 0.5) is None              # the same reading: not advancing
    assert observe(d, 0.3, 0.4) is None              # going back is not advancing
    assert observe(d, 0.4, 0.6) == "started"


def test_a_stream_that_never_starts_is_given_up_after_the_start_timeout_and_the_pre_roll() -> None:
    d = deck(started_at=10.0)
    limit = 10.0 + START_S + SETTLE_S
    assert observe(d, limit, None) is None           # exactly at the limit: still waiting
    assert observe(d, limit + 0.01, None) == "no_start"


def test_a_pre_rolling_deck_has_settled_exactly_at_its_settle_time() -> None:
    d = walk("started")
    assert observe(d, SETTLE_S - 0.01, 0.5) is None
    assert observe(d, SETTLE_S, 0.6) == "settled"


def test_a_pre_rolling_stream_whose_time_stops_is_stalled_only_after_the_stall_timeout() -> None:
    d = walk("started")
    d.settle_s = 60.0                                # still pre-rolling throughout
    observe(d, 0.1, 0.1)
    observe(d, 0.2, 0.2)                             # advancing: moved at 0.2
    assert observe(d, 0.2 + STALL_S, 0.2) is None    # exactly the timeout: not yet
    assert observe(d, 0.2 + STALL_S + 0.01, 0.2) == "stalled"


def test_a_pre_rolling_stream_that_never_moved_is_stalled_counting_from_its_start() -> None:
    d = walk("started")
    d.settle_s = 60.0
    assert observe(d, STALL_S, None) is None
    assert observe(d, STALL_S + 0.01, None) == "stalled"


@pytest.mark.parametrize("state", [S.READY, S.AUDIBLE])
def test_a_ready_or_heard_stream_whose_time_stops_is_stalled_after_the_timeout(state: DeckState) -> None:
    d = walk(*LIVE_WALKS[state])
    observe(d, 1.0, 1.0)
    observe(d, 1.5, 1.5)                             # times exact in binary: the boundary is exact
    assert observe(d, 1.5 + STALL_S, 1.5) is None
    assert observe(d, 1.5 + STALL_S + 0.01, 1.5) == "stalled"


@pytest.mark.parametrize("state", [S.FADING_OUT, S.DRAINING, S.PAUSED])
def test_a_fading_draining_or_paused_deck_is_never_called_stalled(state: DeckState) -> None:
    d = walk(*LIVE_WALKS[state])
    assert observe(d, 1000.0, None) is None


def test_the_position_is_the_last_reading_until_the_stream_advances_then_interpolated() -> None:
    d = deck()
    assert d.position(0.0) is None
    observe(d, 1.0, 5.0)
    assert d.position(1.5) == 5.0                    # not yet seen advancing: no guessing
    observe(d, 2.0, 5.25)
    assert d.position(2.1) == pytest.approx(5.35)    # advancing: interpolated between libVLC's reports
    assert d.position(10.0) == pytest.approx(5.25 + MAX_EXTRAPOLATION_S)   # but never far


def test_after_a_resume_the_position_is_not_guessed_until_the_stream_moves_again() -> None:
    d = walk(*TO_AUDIBLE)
    observe(d, 1.0, 5.0)
    observe(d, 2.0, 6.0)
    d.restart_clock(10.0, 0.2)
    assert (d.started_at, d.settle_s) == (10.0, 0.2)
    observe(d, 10.1, 5.9)                            # the restarted stream reports a little earlier
    assert d.position(10.5) == 5.9
    observe(d, 10.3, 6.1)
    assert d.position(10.4) == pytest.approx(6.2)


def test_remaining_uses_the_sources_length_else_the_outputs() -> None:
    d = deck()
    assert d.remaining(0.0, 50.0) is None            # no position yet
    observe(d, 1.0, 30.0)
    assert d.remaining(1.0, 50.0) == 70.0            # the probed 100 s wins
    d.source = Source(Path("/m/a.flac"), 7)
    assert d.remaining(1.0, 50.0) == 20.0
    assert d.remaining(1.0, None) is None


def test_a_deck_is_polled_every_poll_interval_but_never_while_paused() -> None:
    d = deck()
    assert d.wants_poll(0.0)
    observe(d, 0.0, None)
    assert not d.wants_poll(POSITION_POLL_S - 0.001) and d.wants_poll(POSITION_POLL_S)
    p = walk(*TO_AUDIBLE, "pause")
    assert not p.wants_poll(1e9)
