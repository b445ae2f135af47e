"""A file whose loudness cannot be measured plays at the cautious level, never at 0 dB trim.

`loudness.target_lufs` is -18 LUFS by default; an unmeasurable file is assumed mastered as hot
as -8 LUFS, so it plays 10 dB below a file measured at the target. Without that, a hot master
whose analysis failed would be 15 dB louder than intended while the log says "cautious".
"""

from __future__ import annotations

import pytest

from player.audio.gain import vlc_percent_to_db
from player.audio.level_model import TrackLevel
from tests.audio.mixer_harness import Rig

LEVEL = {"volume": {"start_db": -30, "default_db": -30, "fade_in_s": 1}}
CAUTIOUS_DB = -18.0 - -8.0       # target_lufs minus the hot master assumed for an unmeasurable file


class Measurer:
    """Measures every file at the target (0 dB gain) except those named `broken`."""

    def __init__(self, *broken: str) -> None:
        self.broken = set(broken)

    def measure_level(self, path, progress=None) -> TrackLevel:
        if path.stem in self.broken:
            raise RuntimeError("ffmpeg: invalid data found when processing input")
        return TrackLevel(-18.0, -20.0)


def steady_gain_db(rig: Rig, name: str) -> float:
    """The gain the output holds for the track once its fade-in is over."""
    track = rig.track(name, 120)
    rig.mixer.play(track, fade_in_s=1)
    rig.run(12)
    deck = next(d for d in rig.out.gains if rig.out.gains[d] and rig.out.volume_percent(d) > 0)
    return vlc_percent_to_db(rig.out.volume_percent(deck))


def test_an_unmeasurable_file_plays_at_the_cautious_level(caplog: pytest.LogCaptureFixture) -> None:
    measured = steady_gain_db(Rig(LEVEL, loudness=Measurer()), "measured")
    cautious = steady_gain_db(Rig(LEVEL, loudness=Measurer("hot")), "hot")
    assert abs(measured - -30) < 1.0, measured          # VLC volume is a whole percent: ~0.5 dB steps here
    assert abs((cautious - measured) - CAUTIOUS_DB) < 1.0, (measured, cautious)
    assert "cautious -10.0 dB" in caplog.text
