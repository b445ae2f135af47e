"""Speech probabilities -> ranges, and their wording: the pure core of the voice scan."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.audio.voice_ranges import FRAME_S, VoiceRules, clock, describe_ranges, speech_ranges

NO_PAD = VoiceRules(pad_s=0.0)


def frames(*spans: tuple[float, float], total_s: float = 60.0, inside: float = 0.9, outside: float = 0.05) -> list:
    """Per-frame probabilities: `inside` within each (start_s, end_s) span, `outside` elsewhere."""
    n = round(total_s / FRAME_S)
    return [inside if any(a <= i * FRAME_S < b for a, b in spans) else outside for i in range(n)]


def test_nothing_heard_is_no_range() -> None:
    assert speech_ranges([]) == [] and speech_ranges(frames()) == []


def test_a_span_of_speech_is_one_range_where_it_was() -> None:
    [(a, b)] = speech_ranges(frames((12.0, 40.0)), NO_PAD)
    assert a == pytest.approx(12.0, abs=FRAME_S) and b == pytest.approx(40.0, abs=FRAME_S)


def test_bursts_shorter_than_the_minimum_are_not_a_voice() -> None:
    assert speech_ranges(frames((5.0, 5.9), (20.0, 20.5))) == []
    assert len(speech_ranges(frames((5.0, 6.1)))) == 1


def test_pauses_between_words_join_and_long_silences_split() -> None:
    joined = speech_ranges(frames((10.0, 15.0), (16.5, 20.0)), NO_PAD)
    assert len(joined) == 1 and joined[0][1] == pytest.approx(20.0, abs=FRAME_S)
    split = speech_ranges(frames((10.0, 15.0), (17.5, 20.0)), NO_PAD)
    assert len(split) == 2


def test_hysteresis_keeps_speech_between_the_two_thresholds() -> None:
    probs = frames((10.0, 20.0))
    dip = [0.4 if 12.0 <= i * FRAME_S < 18.0 else p for i, p in enumerate(probs)]   # above leave, below enter
    [(a, b)] = speech_ranges(dip, NO_PAD)
    assert b - a == pytest.approx(10.0, abs=2 * FRAME_S)
    assert speech_ranges([0.45] * 200) == []   # never above enter: never speech


def test_ranges_are_padded_but_stay_inside_the_file() -> None:
    [(a, b)] = speech_ranges(frames((0.0, 3.0), total_s=3.0), VoiceRules(pad_s=0.5))
    assert a == 0.0 and b == pytest.approx(3.0, abs=FRAME_S)
    [(a, _)] = speech_ranges(frames((10.0, 13.0)), VoiceRules(pad_s=0.5))
    assert a == pytest.approx(9.5, abs=FRAME_S)


def test_speech_to_the_end_of_the_file_is_closed_there() -> None:
    [(_, b)] = speech_ranges(frames((50.0, 60.0)), NO_PAD)
    assert b == pytest.approx(60.0, abs=FRAME_S)


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (12.9, "0:12"), (70, "1:10"), (3725, "1:02:05")])
def test_clock(seconds, text) -> None:
    assert clock(seconds) == text


def test_describe_ranges_as_the_clinician_reads_them() -> None:
    assert describe_ranges([(12.0, 40.0), (55.2, 69.5)]) == "0:12-0:40, 0:55-1:10"
    many = [(i * 10.0, i * 10.0 + 2) for i in range(8)]
    assert describe_ranges(many).endswith("0:50-0:52 and 2 more")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), max_size=2000),
       st.builds(VoiceRules, enter=st.floats(0.3, 0.9), leave=st.floats(0.05, 0.3), min_speech_s=st.floats(0, 3),
                 join_gap_s=st.floats(0, 5), pad_s=st.floats(0, 1)))
def test_ranges_are_ordered_apart_inside_the_file_and_long_enough(probabilities, rules) -> None:
    total_s = len(probabilities) * FRAME_S
    ranges = speech_ranges(probabilities, rules)
    for a, b in ranges:
        assert 0.0 <= a < b <= total_s + 1e-9
        assert b - a >= rules.min_speech_s - 1e-9
    for (_, b1), (a2, _) in zip(ranges, ranges[1:], strict=False):     # unpadded, two ranges are a long pause apart
        assert (a2 + rules.pad_s) - (b1 - rules.pad_s) >= rules.join_gap_s - 1e-9
    if max(probabilities, default=0.0) < rules.enter:
        assert ranges == []
