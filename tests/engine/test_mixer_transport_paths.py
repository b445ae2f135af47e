"""The transport's less travelled paths, on the real Mixer (FakeOutput, fake clock): a pause
while the next track pre-rolls or before anything was heard, a faster fade that wins, a
replanned next track, and the reasons the mixer reports when the output gives none.
Written against the survivors of mutation testing (python -m tests.mutation mix)."""

from __future__ import annotations

from player.core.media import OutputEvent
from tests.engine.mixer_harness import Rig

LATENCY_S = 1.5   # audio.latency_s by default


def started(rig: Rig, name: str) -> int:
    return rig.kinds().count(("track_started", name))


def test_a_pause_while_the_next_track_pre_rolls_keeps_it_for_after_the_resume() -> None:
    rig = Rig()
    a, b = rig.track("a", 20), rig.track("b", 300)
    rig.auto_next = [b]
    rig.mixer.play(a, fade_in_s=1)
    rig.run(13)
    assert rig.mixer.decks[-1].source == b and not rig.mixer.decks[-1].heard   # b pre-rolls, not heard
    rig.mixer.pause(1)
    rig.run(4)
    assert rig.mixer.mode == "paused" and [d.source for d in rig.mixer.decks] == [a]
    rig.mixer.resume(1)
    rig.run(20)
    assert rig.mixer.current == b and not rig.mixer.is_silent                     # b follows a as planned
    assert rig.kinds().count(("needs_track", "a")) == 1                          # without asking again


def test_a_pause_before_anything_was_heard_brings_the_same_track_back_on_resume() -> None:
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(0.5)
    rig.mixer.pause(1)
    rig.run(3)
    assert rig.mixer.mode == "paused" and rig.mixer.decks == []
    rig.mixer.resume(2)
    rig.run(6)
    assert rig.mixer.current == a and not rig.mixer.is_silent


def test_a_resumed_track_goes_on_without_a_second_track_started_and_fades_in_from_the_floor() -> None:
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    rig.mixer.pause(1)
    rig.run(4)
    t = rig.clock.monotonic()
    rig.mixer.resume(4)
    rig.run(8)
    assert started(rig, "a") == 1 and rig.mixer.current == a
    heard = [rig.level_at("A", t + k) for k in (1.0, 5.0)]
    assert heard[0] is not None and heard[1] is not None and heard[0] < heard[1] - 10   # a fade, not a step


def test_a_stop_during_a_pause_fade_ends_when_the_pause_fade_would_have() -> None:
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    t = rig.clock.monotonic()
    rig.mixer.pause(3)
    rig.run(1)
    rig.mixer.stop(10)                                   # slower than what is left: the pause fade wins
    rig.run(12)
    done = [when for when, ev in rig.events if ev.kind == "fade_finished"]
    assert [ev.detail for _, ev in rig.events if ev.kind == "fade_finished"] == [{"kind": "stop"}]
    assert t + 3 + LATENCY_S - 0.05 <= done[0] <= t + 3 + LATENCY_S + 0.1


def test_an_emergency_stop_is_over_half_a_second_after_it_was_asked_plus_the_latency() -> None:
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    t = rig.clock.monotonic()
    rig.mixer.emergency_stop(0.2)
    rig.run(0.3)
    assert rig.mixer.is_silent                            # muted after its 0.2 s (heard 1.5 s later)
    rig.run(3)
    done = next(when for when, ev in rig.events if ev.kind == "fade_finished")
    assert t + 0.2 + LATENCY_S - 0.05 <= done <= t + 0.2 + LATENCY_S + 0.1


def test_a_replanned_next_track_replaces_the_one_pre_rolling_and_the_same_one_is_kept() -> None:
    rig = Rig()
    a, b, c = rig.track("a", 20), rig.track("b", 300), rig.track("c", 300)
    rig.auto_next = [b]
    rig.mixer.play(a, fade_in_s=1)
    rig.run(13)
    loads = [args for _, name, args in rig.out.calls if name == "load"]
    rig.mixer.queue_next(b, crossfade_s=4)                         # the same: it goes on pre-rolling
    rig.run(0.1)
    assert [args for _, name, args in rig.out.calls if name == "load"] == loads
    rig.mixer.queue_next(c, crossfade_s=4)                         # another: b is dropped, c follows a
    rig.run(12)
    assert rig.mixer.current == c and started(rig, "b") == 0


def test_a_skip_while_nothing_is_heard_yet_enters_the_new_track_and_forgets_the_old() -> None:
    rig = Rig()
    a, b = rig.track("a", 300), rig.track("b", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(0.5)
    rig.mixer.crossfade_to(b, crossfade_s=2)
    rig.run(5)
    assert rig.mixer.current == b and [d.source for d in rig.mixer.decks] == [b]
    assert started(rig, "a") == 0 and started(rig, "b") == 1
    assert ("needs_track", "b") not in rig.kinds()                   # a long track: nothing asked yet


def test_reasons_given_when_the_output_gives_none() -> None:
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(0.5)
    deck = rig.mixer.decks[0]
    events = rig.mixer.handle(OutputEvent("error", deck.slot, rig.out._decks[deck.slot].token))
    assert [(e.kind, e.detail) for e in events][0] == ("track_failed", {"reason": "cannot open or decode"})
    events = rig.mixer.handle(OutputEvent("device_lost"))
    assert [(e.kind, e.detail) for e in events] == [("device_lost", {"reason": "device lost"})]


def test_a_device_back_event_has_it_probed_at_the_next_tick() -> None:
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    rig.out.set_device_present(False)
    rig.run(0.1)
    assert not rig.mixer.device_ok
    rig.run(0.5)
    rig.out.set_device_present(True)                  # the backoff would wait 1 s more; the event does not
    rig.run(0.1)
    assert rig.mixer.device_ok


def test_a_resume_during_the_pause_fade_turns_back_from_where_it_is_to_the_level_before() -> None:
    rig = Rig()
    a = rig.track("a", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    before = rig.mixer.level_db
    rig.mixer.pause(4)
    rig.run(2)
    turning = rig.mixer.level_db
    rig.mixer.resume(2)
    rig.run(0.1)
    assert before - 30 < turning < before - 5 and abs(rig.mixer.level_db - turning) < 1.5   # no dip, no jump
    rig.run(3)
    assert abs(rig.mixer.level_db - before) < 0.01


def test_crossfade_to_takes_the_length_asked() -> None:
    rig = Rig()
    a, b = rig.track("a", 300), rig.track("b", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    rig.mixer.crossfade_to(b, crossfade_s=4)
    rig.run(4)
    t = rig.when("track_started", "b")
    assert rig.level_at("A", t + 2) is not None and rig.level_at("B", t + 2) is not None   # both heard mid-way
    rig.run(5)
    assert [d.source for d in rig.mixer.decks] == [b]


def test_a_skip_from_a_heard_track_asks_for_nothing_until_the_new_one_is_heard() -> None:
    rig = Rig()
    a, b = rig.track("a", 26), rig.track("b", 300)     # a's successor would be asked for at 4 s
    rig.mixer.play(a, fade_in_s=1)
    rig.run(3)
    rig.mixer.crossfade_to(b, crossfade_s=2)
    rig.run(8)
    assert rig.mixer.current == b and ("needs_track", "a") not in rig.kinds()


def test_a_skip_into_a_gap_fades_the_new_track_in_over_the_length_asked() -> None:
    rig = Rig()
    a, c = rig.track("a", 300), rig.track("c", 300)
    rig.mixer.play(a, fade_in_s=1)
    rig.run(5)
    deck = rig.mixer.decks[0]
    rig.mixer.handle(OutputEvent("error", deck.slot, rig.out._decks[deck.slot].token))
    rig.run(3)
    assert rig.mixer.current is None and rig.mixer.is_silent        # a gap: the mix is open, nothing plays
    rig.mixer.crossfade_to(c, crossfade_s=4)
    rig.run(8)
    t = rig.when("track_started", "c")
    early, late = rig.level_at(rig.mixer.decks[-1].slot, t + 1.0), rig.level_at(rig.mixer.decks[-1].slot, t + 5)
    assert early is not None and late is not None and early < late - 6          # a 4 s fade, not a 0.5 s one


def test_a_session_taken_up_after_a_restart_pre_rolls_briefly_and_still_fades_in_from_the_floor() -> None:
    """After a restart the patient has heard silence since the cut: URGENT_SETTLE_S, not PREROLL_S."""
    heard_at = {}
    for after_restart in (False, True):
        rig = Rig()
        a = rig.track("a", 300)
        t = rig.clock.monotonic()
        rig.mixer.begin_level(-10.0)
        rig.mixer.play(a, fade_in_s=4, after_restart=after_restart)
        rig.run(8)
        assert started(rig, "a") == 1
        heard_at[after_restart] = rig.when("track_started", "a") - t
        first = min(when for when, pct in rig.out.gains["A"] if pct > 0)
        assert rig.level_at("A", first) <= rig.level_at("A", first + 3.0) - 10      # a fade, not a step
    assert heard_at[True] <= heard_at[False] - 1.5, heard_at
