"""Headphones lost mid-session: the real engine and mixer, the keeper on the fake radio, one FakeClock.

The headset goes the way the engine already knows a sound card going: the music stops for the
patient (nothing else plays it), the session clock runs on, staff see "headphones disconnected",
and the keeper's reconnection brings the music back with a fade-in from silence; all of it is in
the session's log.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from player.audio.fake import FakeOutput
from player.bluetooth.gate import HeadsetGate
from player.bluetooth.keeper import HeadsetKeeper
from player.clock import FakeClock
from player.config import config_from_mapping
from player.core.media import DECKS
from player.engine.eventlog import read_events
from player.engine.loop import Mixer, SessionEngine
from tests.bluetooth.radio import ADDRESS, Radio
from tests.bluetooth.test_keeper import paired
from tests.engine.test_engine import make_playlist


class Chair:
    """Engine + real Mixer on FakeOutput behind the HeadsetGate, and the keeper, on one FakeClock."""

    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = tmp_path / "data"
        self.config = config_from_mapping({
            "data_dir": str(self.data_dir), "room": "Room 3",
            "audio": {"device": f"bluealsa:DEV={ADDRESS},PROFILE=a2dp",
                      "bluetooth": {"address": ADDRESS, "retry_max_s": 8}}})
        self.clock = FakeClock()
        self.playlist = make_playlist(tmp_path)
        self.out = FakeOutput(clock=self.clock, max_gain_db=self.config.loudness.max_boost_db)
        for phase in self.playlist.phases:
            for track in phase.tracks:
                self.out.add_media(track.path, track.duration_s)
        self.gate = HeadsetGate(self.out)
        self.mixer = Mixer(self.gate, self.config, self.clock)
        self.engine = SessionEngine(self.config, self.mixer, self.clock, load_playlist=lambda p: self.playlist)
        self.said = {True: threading.Event(), False: threading.Event()}
        self.keeper = HeadsetKeeper(self.config.audio.bluetooth, on_ready=self._told, clock=self.clock,
                                    note=lambda text: self.engine.submit("mark", source="system", text=text))

    def _told(self, ready: bool) -> None:
        self.gate.headset(ready)
        self.said[ready].set()

    def until_told(self, ready: bool) -> None:
        """Wait (real time) for the keeper's word: BlueZ and BlueALSA answer from their own processes."""
        assert self.said[ready].wait(10)
        self.said[ready].clear()
        self.advance(0.5)            # the engine takes the output event and probes the device

    def advance(self, seconds: float, step_s: float = 0.5) -> None:
        while seconds > 1e-9:
            dt = min(step_s, seconds)
            self.clock.advance(dt)
            seconds -= dt
            assert self.keeper.round() and self.engine.sync()

    def heard_percent(self) -> int:
        return max(self.out.volume_percent(d) for d in DECKS)

    def events(self, sid: str) -> list[dict]:
        return read_events(self.data_dir / "sessions" / sid / "events.jsonl")


@pytest.fixture
def chair(tmp_path, radio: Radio):
    paired(radio)
    c = Chair(tmp_path)
    c.engine.start()
    assert c.engine.sync()
    yield c
    c.keeper.close()
    c.engine.close()


def test_headphones_lost_mid_session_pause_the_music_show_a_fault_and_fade_back_in(chair: Chair, radio: Radio):
    assert chair.engine.status()["faults"] == ["headphones disconnected"]   # at boot, until the keeper connects
    chair.keeper.start()
    chair.until_told(True)
    assert chair.engine.status()["faults"] == []
    sid = chair.engine.submit("start", source="cli", playlist="four")["session_id"]
    chair.advance(120)
    assert chair.heard_percent() > 0
    radio.fail_connect("Page Timeout")
    radio.switched_off()                                                # the headset's battery died
    chair.until_told(False)
    st = chair.engine.status()
    assert st["state"] == "faulted" and st["faults"] == ["headphones disconnected"] and st["audio"] == "device lost"
    assert chair.heard_percent() == 0 and not chair.mixer.decks         # nothing plays, anywhere
    chair.advance(600)                                                  # out of range for ten minutes
    st = chair.engine.status()
    assert st["phase"] == "onset" and st["state"] == "faulted" and chair.heard_percent() == 0  # the clock ran on
    onset = [e for e in chair.events(sid) if e["type"] == "phase_started" and e["details"]["phase"] == "onset"]
    assert onset[0]["elapsed_s"] == pytest.approx(600.0)
    radio.fail_connect("")                                              # back in range: the next attempt connects
    chair.advance(8)                                                    # the next attempt is at most 8 s away
    chair.until_told(True)
    st = chair.engine.status()
    assert st["state"] == "playing" and st["faults"] == []
    levels = []
    for _ in range(5):                                                  # fades in from silence over 45 s
        levels.append(chair.heard_percent())
        chair.advance(10)
    assert levels[0] < levels[2] < levels[4] and levels[0] <= 2
    kinds = [(e["type"], e["details"].get("message")) for e in chair.events(sid)]
    assert kinds.count(("fault", "headphones disconnected")) == 1
    assert kinds.count(("fault_cleared", "headphones disconnected")) == 1
    states = [(e["details"]["from"], e["details"]["to"]) for e in chair.events(sid) if e["type"] == "state_changed"]
    assert ("playing", "faulted") in states and ("faulted", "playing") in states


def test_a_headset_volume_moved_mid_session_is_put_back_and_in_the_session_log(chair: Chair, radio: Radio):
    chair.keeper.start()
    chair.until_told(True)
    sid = chair.engine.submit("start", source="cli", playlist="four")["session_id"]
    chair.advance(5)
    radio.headset_buttons(0x7F7F | 0x8080)                               # muted from the headset: also put back
    for _ in range(100):
        chair.advance(0.5)
        marks = [e for e in chair.events(sid) if e["type"] == "marked"]
        if marks:
            break
    assert [m["details"]["text"] for m in marks] == ["headset volume moved to 100 %/100 % (muted); put back to 100 %"]
    assert marks[0]["source"] == "system"
    assert radio.pcms()[radio.pcm_path()]["Volume"] == 0x7F7F
