"""The HeadsetGate: the output contract still holds through it, and the headset's word becomes a device event."""

from __future__ import annotations

import queue

import pytest

import tests.audio.test_output_contract as contract
from player.audio.api import OutputEvent
from player.audio.fake import FakeOutput
from player.bluetooth.gate import HeadsetGate
from player.clock import FakeClock


class TestHeadsetGateOnFakeOutput(contract.TestFakeOutput):
    """Every AudioOutput behaviour, through the gate, with the headphones there."""

    @pytest.fixture
    def output(self):
        self.clock = FakeClock()
        self.fake = FakeOutput(self.clock, max_gain_db=-6.0)
        gate = HeadsetGate(self.fake)
        gate.headset(True)
        return gate


def test_the_headset_going_and_coming_back_posts_the_device_events_once_each():
    inner = FakeOutput(FakeClock(), max_gain_db=-6.0)
    gate, events = HeadsetGate(inner), queue.Queue()
    gate.headset(True)                       # before open: remembered, nobody to tell
    gate.open(events.put)
    assert gate.device_ok() and events.empty()
    gate.headset(False)
    gate.headset(False)
    assert events.get_nowait() == OutputEvent("device_lost", detail="headphones disconnected") and events.empty()
    assert not gate.device_ok()              # the mixer's own probe cannot "restore" it meanwhile
    gate.headset(True)
    assert events.get_nowait() == OutputEvent("device_back") and gate.device_ok()
    inner.set_device_present(False)          # the PCM itself gone: not ok, whatever the keeper says
    assert not gate.device_ok()
    gate.close()
    gate.headset(False)                      # after close: nobody to tell, nothing raised
