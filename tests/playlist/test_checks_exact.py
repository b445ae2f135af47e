"""The probed-track checks on built models: each boundary (exactly at a limit passes, just
past it is reported) and each list cut to three names "and N more". Pure and fast; written to
kill the survivors of mutation testing (python -m tests.mutation checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.playlist.checks import check_tracks
from player.playlist.model import Phase, Playlist, Track
from player.playlist.parse import Collector

BASE = Path("/clinic")


def check(*phases: Phase) -> list[tuple[int, str, str]]:
    """The diagnostics, less the "short for crossfades" hint (its own tests are in test_validate.py)."""
    out = Collector("p.yaml")
    check_tracks(Playlist("x", BASE / "p.yaml", 8.0, phases), out)
    return [(d.line, d.severity, d.message) for d in out.items if "is short for crossfades" not in d.message]


def track(name: str, seconds: float | None, line: int, rate: int | None = None) -> Track:
    return Track(BASE / name, duration_s=seconds, sample_rate=rate, line=line)


def phase(*tracks: Track, name: str = "onset", duration_s: float = 60.0, crossfade_s: float = 5.0,
          on_short: str = "loop") -> Phase:
    return Phase(name, duration_s, tracks, crossfade_s, on_short=on_short, line=3)


def test_a_track_of_exactly_one_second_is_long_enough() -> None:
    assert check(phase(track("a.flac", 1.0, 5), crossfade_s=0.5, duration_s=1.0)) == []
    assert check(phase(track("a.flac", 0.99, 5), crossfade_s=0.0, duration_s=0.99)) == [
        (5, "error", "a.flac is only 0.99 s long; tracks must be at least 1 s")]


def test_a_crossfade_of_exactly_half_a_track_is_allowed() -> None:
    assert check(phase(track("a.flac", 10.0, 5), crossfade_s=5.0, duration_s=10.0)) == []
    assert check(phase(track("a.flac", 9.9, 5), crossfade_s=5.0, duration_s=9.9)) == [
        (5, "error", "crossfade (5 s) in phase 'onset' is longer than half of a.flac (9.9 s): it would fade out "
                     "before it had faded in; shorten the crossfade or drop the track")]


def test_tracks_that_fill_the_phase_exactly_do_not_warn() -> None:
    full = phase(track("a.flac", 35.0, 5), track("b.flac", 30.0, 6), duration_s=60.0)  # 35 + 30 - 5 = 60
    assert check(full) == []
    short = phase(track("a.flac", 35.0, 5), track("b.flac", 29.0, 6), duration_s=60.0, on_short="silence")
    assert check(short) == [(3, "warning", "phase 'onset' lasts 1:00 but its tracks play for 0:59: then silence "
                                           "for 0:01 (on_short: silence)")]


@pytest.mark.parametrize(("count", "more"), [(3, ""), (4, " and 1 more"), (5, " and 2 more")])
def test_short_peak_tracks_name_three_then_count_the_rest(count: int, more: str) -> None:
    tracks = [track(f"t{i}.flac", 100.0, 10 + i) for i in range(count)] + [track("long.flac", 120.0, 30)]
    found = check(phase(*tracks, name="peak", duration_s=60.0))
    names = ", ".join(f"t{i}.flac (1:40)" for i in range(3))
    assert found == [(10, "warning", f"peak phase has {count} track(s) shorter than 2:00: {names}{more}; many "
                                     "transitions at peak")]


@pytest.mark.parametrize(("odd", "more"), [(3, ""), (4, " and 1 more"), (5, " and 2 more")])
def test_mixed_sample_rates_name_three_by_line_then_count_the_rest(odd: int, more: str) -> None:
    common = [track(f"c{i}.flac", 60.0, 40 + i, 44100) for i in range(odd + 1)]
    # The odd ones listed in the playlist bottom-up: the warning names them top-down.
    strange = [track(f"o{i}.flac", 60.0, 30 - i, 48000) for i in range(odd)]
    found = check(phase(*common, *strange, duration_s=10.0))
    names = ", ".join(f"o{i}.flac (48000 Hz)" for i in reversed(range(odd)))
    first = names.split(", ")[:3]
    assert found == [(31 - odd, "warning", f"mixed sample rates (44100 Hz x{odd + 1}, 48000 Hz x{odd}): "
                                           f"{', '.join(first)}{more} differ from 44100 Hz; some audio devices "
                                           "resample or click at the change")]


def test_one_sample_rate_or_unprobed_tracks_say_nothing() -> None:
    assert check(phase(track("a.flac", 60.0, 5, 48000), track("b.flac", None, 6), duration_s=10.0)) == []
