"""The headset keeper against BlueZ (dbusmock) and a fake BlueALSA on a private system bus, on a FakeClock."""

from __future__ import annotations

import threading

import pytest
from dbus_fast import Variant

from player.bluetooth.keeper import HeadsetKeeper
from player.clock import FakeClock
from player.config import BluetoothConfig
from player.core.bluetooth import encode_volume
from tests.bluetooth.radio import ADDRESS, Radio
from tests.support.privileges import is_root, run_unprivileged


class Told:
    """What the keeper told the audio output, with a way to wait for the next word."""

    def __init__(self) -> None:
        self.said: list[bool] = []
        self.notes: list[str] = []
        self._cond = threading.Condition()

    def ready(self, value: bool) -> None:
        with self._cond:
            self.said.append(value)
            self._cond.notify_all()

    def note(self, text: str) -> None:
        with self._cond:
            self.notes.append(text)
            self._cond.notify_all()

    def wait(self, predicate, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)


def paired(radio: Radio) -> None:
    radio.headset_in_pairing_mode()
    radio.mock("/", "PairDevice", "ssi", ["hci0", ADDRESS, 0x240404])   # what `bluetooth pair` left behind


@pytest.fixture
def keeper_on(radio):
    made = []

    def make(clock: FakeClock, told: Told, **cfg) -> HeadsetKeeper:
        keeper = HeadsetKeeper(BluetoothConfig(ADDRESS, **cfg), on_ready=told.ready, note=told.note, clock=clock)
        keeper.start()
        made.append(keeper)
        return keeper
    yield make
    for keeper in made:
        keeper.close()


def test_at_boot_the_keeper_connects_the_paired_headset_and_fixes_its_volume_before_saying_ready(radio, keeper_on):
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper = keeper_on(clock, told, volume_percent=80)
    assert told.wait(lambda t: t.said == [True])
    pcm = radio.pcms()[radio.pcm_path()]
    assert pcm["SoftVolume"] is True and pcm["Volume"] == encode_volume(80)      # before the music could start
    snap = keeper.snapshot()
    assert snap["connected"] is True and snap["name"] == "WH-1000XM4" and snap["error"] is None
    assert radio.connect_calls() == 1 and told.notes == []   # the initial level is set, not "put back"


def test_a_headset_switched_off_is_lost_at_once_and_reconnected_with_backoff_on_the_clock(radio, keeper_on):
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper = keeper_on(clock, told, retry_max_s=4)
    assert told.wait(lambda t: t.said == [True])
    radio.fail_connect("Page Timeout")       # out of range: every attempt fails
    radio.switched_off()
    assert told.wait(lambda t: t.said == [True, False])
    assert radio.pcms() == {}
    calls = radio.connect_calls()
    for step, more in [(0.5, 0), (0.5, 1), (0.9, 0), (0.1, 1), (2.0, 1), (3.9, 0), (0.1, 1), (4.0, 1)]:
        clock.advance(step)                  # waits: 1 s after the loss, then 1, 2, 4, 4 (the ceiling)
        assert keeper.round()
        assert radio.connect_calls() - calls == more, (step, more)
        calls += more
    radio.fail_connect("")                   # back in range
    clock.advance(4.0)
    assert keeper.round()
    assert told.wait(lambda t: t.said == [True, False, True])
    assert keeper.link.attempts == 0 and keeper.link.wait_s == 1.0


def test_reconnect_false_never_asks_bluez_to_connect(radio, keeper_on):
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper = keeper_on(clock, told, reconnect=False)
    for _ in range(3):
        clock.advance(60)
        assert keeper.round()
    assert radio.connect_calls() == 0 and told.said == []


def test_a_headset_volume_that_moves_is_put_back_and_recorded(radio, keeper_on):
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper = keeper_on(clock, told)
    assert told.wait(lambda t: t.said == [True])
    radio.headset_buttons(0x6464)             # the patient pressed "+" ... or "-": either way it goes back
    assert told.wait(lambda t: len(t.notes) == 1)
    assert told.notes == ["headset volume moved to 79 %/79 %; put back to 100 %"]
    assert keeper.round() and radio.pcms()[radio.pcm_path()]["Volume"] == encode_volume(100)
    assert keeper.snapshot()["volume_put_back"] == 1


def test_battery_from_bluez_battery1(radio, keeper_on):
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper = keeper_on(clock, told)
    assert told.wait(lambda t: t.said == [True])
    radio.battery(70)            # (the mock adds Battery1 without a signal: the keeper's re-read finds it)
    clock.advance(15)
    assert keeper.round() and keeper.snapshot()["battery_percent"] == 70


def test_bluealsa_not_running_means_not_ready_with_the_reason(radio, keeper_on):
    paired(radio)
    radio.stop_bluealsa()
    told, clock = Told(), FakeClock()
    keeper = keeper_on(clock, told)
    assert keeper.round()
    snap = keeper.snapshot()
    assert told.said == [] and "BlueALSA (bluealsa) is not running" in snap["error"]
    radio.start_bluealsa()                     # the service comes (back): the keeper notices by itself
    assert told.wait(lambda t: t.said == [True])


def test_bluealsa_restarting_mid_connection_is_a_loss_then_a_return(radio, keeper_on):
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper_on(clock, told)
    assert told.wait(lambda t: t.said == [True])
    radio.stop_bluealsa()                      # crashed (systemd restarts it)
    assert told.wait(lambda t: t.said == [True, False])
    radio.start_bluealsa()                     # back, and it offers the still-connected headset's PCM again
    assert told.wait(lambda t: t.said == [True, False, True])
    assert radio.pcms()[radio.pcm_path()]["SoftVolume"] is True    # the fresh PCM's volume is held again


def test_software_volume_switched_off_is_put_back(radio, keeper_on):
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper_on(clock, told)
    assert told.wait(lambda t: t.said == [True])
    radio.call("org.bluealsa", radio.pcm_path(), "org.freedesktop.DBus.Properties", "Set", "ssv",
               ["org.bluealsa.PCM1", "SoftVolume", Variant("b", False)])
    assert told.wait(lambda t: t.notes == ["software volume switched off; put back to 100 %"])
    assert radio.pcms()[radio.pcm_path()]["SoftVolume"] is True


def test_a_frozen_bluealsa_is_a_loss_with_the_reason_not_a_hang(radio, keeper_on, monkeypatch):
    import signal

    from player.bluetooth import bus
    monkeypatch.setattr(bus, "CALL_TIMEOUT_S", 0.5)
    paired(radio)
    told, clock = Told(), FakeClock()
    keeper = keeper_on(clock, told)
    assert told.wait(lambda t: t.said == [True])
    radio.bluealsa.send_signal(signal.SIGSTOP)       # alive, owns its name, answers nothing
    try:
        clock.advance(15)                            # the keeper's periodic re-read
        assert keeper.round()
        assert told.said == [True, False] and "did not answer GetPCMs within 0.5 s" in keeper.snapshot()["error"]
    finally:
        radio.bluealsa.send_signal(signal.SIGCONT)
    clock.advance(15)
    assert keeper.round() and told.wait(lambda t: t.said == [True, False, True])


@pytest.mark.skipif(not is_root(), reason="needs root to become a user outside the group audio")
def test_a_service_user_bluealsa_refuses_never_gets_ready_and_is_told_why(radio):
    paired(radio)
    radio.call("org.bluez", radio.path(), "org.bluez.Device1", "Connect")     # connected: only BlueALSA is missing

    def as_the_service_user() -> tuple[list[bool], dict]:
        told = Told()
        keeper = HeadsetKeeper(BluetoothConfig(ADDRESS), on_ready=told.ready, clock=FakeClock())
        keeper.start()
        try:
            keeper.round()
            return told.said, keeper.snapshot()
        finally:
            keeper.close()
    said, snap = run_unprivileged(as_the_service_user)
    assert said == [] and snap["connected"] is True
    assert "refused this user access to BlueALSA" in snap["error"] and "adduser session-player audio" in snap["error"]
