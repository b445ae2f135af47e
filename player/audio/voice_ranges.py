"""Where a voice speaks: per-frame speech probabilities -> time ranges, and their wording. Pure.

The rules are Silero VAD's own (``get_speech_timestamps``: enter speech above a threshold,
leave it below a lower one, drop bursts that are too short), tuned for music rather than
for calls: a range is reported only when speech holds for `MIN_SPEECH_S`, short pauses
between words join one range, and a range is padded a little so it covers the words' edges.
A clinician reads "0:12-0:40" and listens there; a few seconds too wide is fine, a false
alarm on a sustained synth pad is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FRAME_S = 512 / 16000          # the model's step: 32 ms of 16 kHz audio
ENTER = 0.5                    # speech starts above this probability (Silero's default)
LEAVE = 0.35                   # ... and ends below this one (Silero: threshold - 0.15)
MIN_SPEECH_S = 1.0             # shorter bursts are ignored: a syllable-like pluck is not a voice-over
JOIN_GAP_S = 2.0               # pauses shorter than this (between words, sentences) join two ranges
PAD_S = 0.1                    # each range grows this much on both sides


@dataclass(frozen=True)
class VoiceRules:
    """The thresholds (seconds and probabilities) of `speech_ranges`; the defaults suit music."""

    enter: float = ENTER
    leave: float = LEAVE
    min_speech_s: float = MIN_SPEECH_S
    join_gap_s: float = JOIN_GAP_S
    pad_s: float = PAD_S


MUSIC_RULES = VoiceRules()


def speech_ranges(probabilities: Sequence[float], rules: VoiceRules = MUSIC_RULES,
                  frame_s: float = FRAME_S) -> list[tuple[float, float]]:
    """(start_s, end_s) of each stretch of speech, in order, never overlapping.

    Args:
        probabilities: one speech probability (0..1) per frame of `frame_s` seconds.
    """
    raw: list[tuple[int, int]] = []
    start: int | None = None
    for i, p in enumerate(probabilities):
        if start is None and p >= rules.enter:
            start = i
        elif start is not None and p < rules.leave:
            raw.append((start, i))
            start = None
    if start is not None:
        raw.append((start, len(probabilities)))
    joined: list[list[float]] = []
    for a, b in raw:
        begin, end = a * frame_s, b * frame_s
        if joined and begin - joined[-1][1] < rules.join_gap_s:
            joined[-1][1] = end
        else:
            joined.append([begin, end])
    total_s = len(probabilities) * frame_s
    return [(max(0.0, a - rules.pad_s), min(total_s, b + rules.pad_s))
            for a, b in joined if b - a >= rules.min_speech_s]


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour), rounded down: where to put the cursor to listen."""
    s = int(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


def describe_ranges(ranges: Iterable[tuple[float, float]], limit: int = 6) -> str:
    """``0:12-0:40, 0:55-1:10`` (and "and N more" past `limit`)."""
    ranges = list(ranges)
    text = ", ".join(f"{clock(a)}-{clock(b + 0.999)}" for a, b in ranges[:limit])
    return text + (f" and {len(ranges) - limit} more" if len(ranges) > limit else "")
