"""Calmer music on the real audio path: the whole daemon, real libVLC, the virtual sound card.

The plan plays a 440 Hz tone, the phase's calmer music a 660 Hz one. Staff ask for calmer
music for 60 s (the shortest period staff may ask for): the captured samples must show an
equal-power crossfade into it and back (the two tones' summed level within 1.5 dB
throughout), no gap, and the phase clock unmoved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.audio.signals import sine
from tests.engine.test_field_audio import longest_silence_s, run_session, write_playlist
from tests.support.audio_sink import band_envelope

pytestmark = pytest.mark.real_audio

CALMER_S = 60.0    # the shortest calmer period a control may ask for (control/controller.py)
CROSSFADE_S = 4.0


def test_calmer_crossfades_in_and_back_equal_power_with_no_gap_and_the_clock_unmoved(tmp_path: Path,
                                                                                       audio_sink) -> None:
    sine(tmp_path / "plan.flac", 120.0, freq=440.0)
    sine(tmp_path / "calm.flac", 120.0, freq=660.0)
    playlist = write_playlist(tmp_path / "p.yaml", f"name: Calmer\ncrossfade: {CROSSFADE_S:g}s\nphases:\n"
                              "  - name: peak\n    duration: 10m\n    fade_in: 1s\n    tracks: [plan.flac]\n"
                              "    calmer: [calm.flac]\n")
    statuses: list[dict] = []

    def calmer(daemon, wait) -> None:
        wait.wait(7.0)                                       # the plan's tone at full level
        statuses.append(daemon.controller.submit("calmer", source="cli", minutes=CALMER_S / 60))
        wait.wait(CALMER_S + CROSSFADE_S + 5.0)
        statuses.append(daemon.controller.status())

    samples, events = run_session(tmp_path, audio_sink, playlist, 1.0, volume={"start_db": -16, "default_db": -16},
                                  during=calmer)
    plan, calm = (band_envelope(samples, 100.0, f - 15, f + 15).rms_db for f in (440.0, 660.0))
    full = [float(np.percentile(t, 95)) for t in (plan, calm)]
    both = np.nonzero((plan > full[0] - 20) & (calm > full[1] - 20))[0]
    # Two crossfades of 4 s each: windows where both tones are within 20 dB of full.
    overlap_s = len(both) * 0.1
    assert 2 * (CROSSFADE_S - 1.5) <= overlap_s <= 2 * (CROSSFADE_S + 1.0), f"overlap {overlap_s:.1f} s"
    calm_full = np.nonzero(calm > full[1] - 1)[0]
    assert CALMER_S - CROSSFADE_S - 1.5 <= len(calm_full) * 0.1 <= CALMER_S + 1.5, len(calm_full) * 0.1
    # Equal power: the summed level holds from the plan's tone at full, through both crossfades, to it again.
    with np.errstate(divide="ignore"):                       # before the first sound: -inf
        total = 10 * np.log10(10 ** (plan / 10) + 10 ** (calm / 10))
    first_full = np.nonzero(plan > full[0] - 1)[0][0]
    back_full = np.nonzero((plan > full[0] - 1) & (np.arange(len(plan)) > calm_full[-1]))[0][0]
    span = total[first_full:back_full + 20]
    deviation = np.abs(span - np.median(span))
    assert np.max(deviation) <= 1.5, np.round(span - np.median(span), 1)
    assert longest_silence_s(samples) <= 0.1
    # The phase clock did not move: the phase still ends at 10:00, as planned.
    before, after = statuses
    for st in statuses:
        assert st["phase"] == "peak"
        assert st["phase_elapsed_s"] + st["phase_remaining_s"] == pytest.approx(600.0, abs=0.01)
    # (the status is read a moment after the control acted: under load, tens of ms later)
    assert before["calmer"]["until_s"] == pytest.approx(before["elapsed_s"] + CALMER_S, abs=0.5)
    assert after["calmer"] is None
    kinds = [(e["type"], e["details"].get("reason")) for e in events if e["type"].startswith("calmer")]
    assert kinds == [("calmer_started", None), ("calmer_ended", "time up")]
    heard = [(e["details"]["file"], bool(e["details"].get("calmer"))) for e in events if e["type"] == "track_started"]
    assert heard[:3] == [("plan.flac", False), ("calm.flac", True), ("plan.flac", False)]
    print(f"\ncalmer crossfades: overlap {overlap_s:.1f} s, summed level within ±{np.max(deviation):.2f} dB, "
          f"longest silence {longest_silence_s(samples):.2f} s")
