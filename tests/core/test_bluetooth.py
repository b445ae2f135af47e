"""The pure Bluetooth bookkeeping: addresses, BlueALSA's volume encoding, the headset link's states and backoff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from player.core.bluetooth import (
    HeadsetLink,
    address_of,
    alsa_pcm,
    decode_volume,
    device_path,
    encode_volume,
    parse_address,
)


@pytest.mark.parametrize("raw", ["00:1b:66:aa:bb:01", " 00:1B:66:AA:BB:01 "])
def test_addresses_are_upper_case(raw):
    assert parse_address(raw) == "00:1B:66:AA:BB:01"


@pytest.mark.parametrize("raw", ["", "00:1B:66:AA:BB", "00-1B-66-AA-BB-01", "00:1B:66:AA:BB:0G", 7, None,
                                 "00:1B:66:AA:BB:01:02", "WH-1000XM4"])
def test_anything_else_is_refused(raw):
    with pytest.raises(ValueError, match="AA:BB:CC:DD:EE:FF"):
        parse_address(raw)


def test_paths_and_the_alsa_name():
    path = device_path("/org/bluez/hci0", "00:1B:66:AA:BB:01")
    assert path == "/org/bluez/hci0/dev_00_1B_66_AA_BB_01" and address_of(path) == "00:1B:66:AA:BB:01"
    assert address_of("/org/bluealsa/hci0/dev_00_1B_66_AA_BB_01/a2dpsrc/sink") == "00:1B:66:AA:BB:01"
    assert address_of("/org/bluez/hci0") is None
    assert alsa_pcm("00:1B:66:AA:BB:01") == "bluealsa:DEV=00:1B:66:AA:BB:01,PROFILE=a2dp"


def test_volume_encoding():
    assert encode_volume(100) == 0x7F7F and encode_volume(0) == 0 and encode_volume(50) == 0x4040
    assert decode_volume(0x7F7F) == (100, 100, False)
    assert decode_volume(0xFF7F) == (100, 100, True) and decode_volume(0x0040) == (0, 50, False)


@given(st.integers(0, 100))
def test_volume_round_trips_within_a_step(percent):
    left, right, muted = decode_volume(encode_volume(percent))
    assert left == right and abs(left - percent) <= 1 and not muted


T = 1000.0


def test_ready_only_when_connected_and_the_pcm_is_there_in_either_order():
    link = HeadsetLink(reconnect=True, retry_max_s=60)
    assert link.update(T, connected=True) is None and not link.ready
    assert link.update(T, pcm="/pcm") == "back" and link.ready
    assert link.update(T, pcm="/pcm") is None
    assert link.update(T, pcm=None) == "lost"
    assert link.update(T, pcm="/pcm") == "back"
    assert link.update(T, connected=False) == "lost" and link.pcm == "/pcm"   # BlueALSA's removal comes later
    assert link.update(T, pcm=None) is None
    link2 = HeadsetLink(reconnect=True, retry_max_s=60)
    assert link2.update(T, pcm="/pcm") is None and link2.update(T, connected=True) == "back"


def test_attempts_double_up_to_the_ceiling_and_reset_on_success():
    link = HeadsetLink(reconnect=True, retry_max_s=8)
    assert link.due(T) and link.wait(T) == 0
    now, waits = T, []
    for _ in range(6):
        link.tried(now, ok=False)
        waits.append(link.next_try - now)
        assert not link.due(link.next_try - 0.001) and link.due(link.next_try)
        now = link.next_try
    assert waits == [1, 2, 4, 8, 8, 8] and link.attempts == 6
    link.update(now, connected=True)
    assert link.wait(now) is None and not link.due(now + 100)
    link.update(now, pcm="/pcm")
    assert link.attempts == 0 and link.wait_s == 1.0
    link.update(now + 5, connected=False)                 # lost: the first new attempt comes 1 s later
    assert not link.due(now + 5.9) and link.due(now + 6)


def test_a_successful_attempt_waits_a_second_for_bluez_to_say_connected():
    link = HeadsetLink(reconnect=True, retry_max_s=60)
    link.tried(T, ok=True)
    assert not link.due(T + 0.5) and link.due(T + 1)


def test_reconnect_false_never_makes_an_attempt_due():
    link = HeadsetLink(reconnect=False, retry_max_s=60)
    assert not link.due(T + 1e6) and link.wait(T) is None
    link.update(T, connected=True)
    link.update(T + 1, connected=False)
    assert not link.due(T + 1e6)


@given(st.lists(st.tuples(st.sampled_from(["c", "d", "p", "n"]), st.floats(0, 100)), max_size=40))
def test_ready_is_always_connected_and_pcm_and_every_change_is_announced_once(steps):
    link = HeadsetLink(reconnect=True, retry_max_s=30)
    now, ready = T, False
    for what, dt in steps:
        now += dt
        change = {"c": {"connected": True}, "d": {"connected": False}, "p": {"pcm": "/p"}, "n": {"pcm": None}}[what]
        said = link.update(now, **change)
        assert link.ready == (link.connected and link.pcm is not None)
        assert said == (None if link.ready == ready else "back" if link.ready else "lost")
        ready = link.ready
