"""The Mixer applies the level model (issue 22): FakeOutput + FakeClock, figures given by a fake measurer.

Quiet masters are boosted above VLC 100 % within their headroom and heard at the level asked;
a track that cannot reach the cap lowers the whole session, as a glide; an unmeasurable file
is never amplified; what the mixer reports (`level_db`, `heard_db`) is loudness relative to
the target, never the gain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.level_model import TrackLevel
from tests.engine.mixer_harness import Rig

QUIET = TrackLevel(-36.7, -27.0, -36.2)          # needs +18.7 dB; the true peak allows +26
DYNAMIC = TrackLevel(-36.7, -10.0, -34.0)        # needs +18.7 dB; the true peak allows only +9
LOUD = TrackLevel(-16.7, -6.0, -15.0)


class Figures:
    """A measurer answering from a table (a missing file cannot be measured)."""

    def __init__(self, table: dict[str, TrackLevel]) -> None:
        self.table = table

    def measure_level(self, path: Path, progress=None) -> TrackLevel:
        if path.stem not in self.table:
            raise RuntimeError("ffmpeg cannot read it")
        return self.table[path.stem]


def playing(rig: Rig, name: str, seconds: float = 6.0):
    source = rig.track(name, 600)
    rig.mixer.begin_level()                                  # volume.default_db (start_db is the same here)
    rig.mixer.master.rise(rig.clock.monotonic())
    rig.mixer.play(source, fade_in_s=0.5)
    rig.run(seconds)
    return source


def test_a_quiet_master_is_amplified_above_vlc_100_percent_and_heard_at_the_level_asked():
    rig = Rig({"volume": {"start_db": -12, "default_db": -12}}, loudness=Figures({"quiet": QUIET}))
    playing(rig, "quiet")
    assert rig.mixer.level_db == pytest.approx(-12.0)                        # heard: relative to the target
    assert rig.out.volume_percent("A") == 129                                # +6.7 dB: VLC amplifies
    assert rig.mixer.heard_db == pytest.approx(-12.0)


def test_a_track_that_cannot_reach_the_cap_lowers_the_session_as_a_glide():
    rig = Rig({"volume": {"start_db": -12, "default_db": -12}},
              loudness=Figures({"dynamic": DYNAMIC, "loud": LOUD}))
    loud = rig.track("loud", 600)
    dynamic = rig.track("dynamic", 600)
    rig.mixer.begin_level(-12.0)
    rig.mixer.play(loud, fade_in_s=0.5)
    rig.run(6.0)
    assert rig.mixer.level_db == pytest.approx(-12.0)            # nothing known of the session yet
    rig.mixer.prefetch([loud, dynamic])                          # the session's tracks: DYNAMIC reaches only -9.7
    rig.run(1.0)
    assert -12.0 > rig.mixer.level_db > -12.0 - 3.7              # gliding at 0.5 dB/s, never a step
    rig.run(10.0)
    assert rig.mixer.level_db == pytest.approx(-12.0 - 3.7)      # the whole session 3.7 dB quieter
    steps = [b - a for (_, a), (_, b) in zip(rig.out.gains["A"], rig.out.gains["A"][1:], strict=False)]
    assert min(steps) >= -1                                      # one VLC percent at a time


def test_an_unmeasurable_file_plays_below_the_target_and_is_never_amplified():
    rig = Rig({"volume": {"start_db": -6, "default_db": -6}}, loudness=Figures({}))
    playing(rig, "unknown")
    assert rig.mixer.level_db == pytest.approx(-6.0)             # as heard if it were as hot as -8 LUFS
    assert rig.out.volume_percent("A") <= 100
    assert rig.out.volume_percent("A") == 54                     # -16 dB digital: its -10 dB need + the -6 heard


def test_the_cap_is_what_is_heard_so_the_meter_reaches_it_only_at_the_cap():
    rig = Rig({"volume": {"start_db": -12, "default_db": -12, "max_db": -6}}, loudness=Figures({"quiet": QUIET}))
    playing(rig, "quiet")
    assert rig.mixer.level_db < -6.0                             # a quiet master at -12 is not "at the cap"
    rig.mixer.set_master_db(+20.0)
    rig.run(1.0)
    # asked for more: held so that its loudest 3 s (0.5 LU above its integrated loudness) are at the cap
    assert rig.mixer.level_db == pytest.approx(-6.5)
    assert rig.out.volume_percent("A") == 159                    # +12.2 dB, within its true peak (-1 dBTP)
