"""A session taken up after the daemon went down, through real libVLC into the virtual sound card.

The restart path pre-rolls briefly (the patient has heard silence since the cut, so audio
comes back sooner), and must still start low: the first sound at the floor, a dB-linear
fade-in to the start level (not to the level staff had set before the cut), nothing above
the start level during it. All levels are judged from the captured samples, relative to the
same track heard before the cut (same file, same normalization), never on wall time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from player.daemon import Daemon
from player.engine.eventlog import read_events
from tests.audio.signals import sine
from tests.engine.conftest import daemon_config
from tests.support.audio_sink import envelope

pytestmark = pytest.mark.real_audio

FLOOR_DB, START_DB, STAFF_DB, FADE_IN_S = -60.0, -22.0, -10.0, 3.0


def test_a_restarted_session_comes_back_low_and_fades_in_db_linearly(tmp_path: Path, audio_sink) -> None:
    sine(tmp_path / "tone.flac", 120.0)
    playlist = tmp_path / "p.yaml"
    playlist.write_text("name: Tone\ncrossfade: 2s\nphases:\n"
                        "  - name: onset\n    duration: 10m\n    tracks: [tone.flac]\n")
    config = daemon_config(tmp_path / "data", audio={"output": "vlc", "device": "pulse"},
                           volume={"floor_db": FLOOR_DB, "start_db": START_DB, "default_db": START_DB,
                                   "max_db": -6.0, "fade_in_s": FADE_IN_S})
    wait = threading.Event()
    recording = audio_sink.record()
    try:
        with Daemon(config) as daemon:
            sid = daemon.controller.submit("start", source="cli", playlist=str(playlist))["session_id"]
            wait.wait(FADE_IN_S + 2.0)
            daemon.controller.submit("volume", source="web", level_db=STAFF_DB)   # staff raised it
            wait.wait(3.0)
        wait.wait(1.5)   # the daemon is down: silence (the state file says playing)
        with Daemon(config) as daemon:
            assert daemon.status()["state"] == "playing"
            wait.wait(FADE_IN_S + 3.0)
    finally:
        samples = recording.stop()
    events = read_events(tmp_path / "data" / "sessions" / sid / "events.jsonl")
    assert [e["type"] for e in events].count("daemon_restarted") == 1

    env = envelope(samples)
    on = env.rms_db > -75
    first_run = np.nonzero(on)[0]
    assert len(first_run), "nothing was heard before the cut"
    # The cut: the first run of >= 0.5 s of silence after the first sound; the restart's sound follows it.
    silent = ~on
    run, cut_end = 0, None
    for i in range(first_run[0], len(on)):
        run = run + 1 if silent[i] else 0
        if run >= 25 and not silent[min(i + 1, len(on) - 1)]:
            cut_end = i + 1
            break
    assert cut_end is not None, "no silence between the two runs, or no sound after the restart"
    before = env.rms_db[first_run[0]:cut_end - 25]
    staff_level = float(np.median(before[before > np.max(before) - 3]))   # at STAFF_DB, before the cut
    back = env.rms_db[cut_end:]
    assert np.max(back) > staff_level - (STAFF_DB - START_DB) - 3, "the music did not come back"

    # The first sound after the restart is at the floor, not at a level anybody set before.
    assert np.max(back[:10]) < staff_level - (STAFF_DB - FLOOR_DB) + 12, \
        f"first 200 ms at {np.max(back[:10]) - staff_level:.1f} dB relative to the level before the cut"
    # Through the fade-in and well after it: at most the start level (+0.5 dB), though staff had set more.
    fade = back[: int((FADE_IN_S + 1.5) / 0.02)]
    assert np.max(fade) <= staff_level - (STAFF_DB - START_DB) + 0.5, \
        f"{np.max(fade) - staff_level:.1f} dB relative to the level before the cut; start level is " \
        f"{START_DB - STAFF_DB:.1f}"
    # dB-linear: above -35 dB of gain (VLC's percent steps are coarse below), the fade follows one straight line.
    gain = back - staff_level + STAFF_DB
    t = np.arange(len(back)) * 0.02
    mid = np.nonzero((gain > -35) & (gain < START_DB - 2))[0]
    mid = mid[mid < len(fade)]
    assert len(mid) > 15, "no fade captured"
    slope, offset = np.polyfit(t[mid], gain[mid], 1)
    assert slope == pytest.approx((START_DB - FLOOR_DB) / FADE_IN_S, rel=0.25)
    assert np.max(np.abs(gain[mid] - (slope * t[mid] + offset))) < 1.5
