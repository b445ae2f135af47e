"""Bluetooth headphones at the edges the other tests leave: a volume above 100 %, a retry after a success."""

from __future__ import annotations

from player.core.bluetooth import HeadsetLink, decode_volume, encode_volume


def test_a_volume_above_100_percent_is_sent_as_100_never_with_the_mute_bit() -> None:
    assert encode_volume(101) == encode_volume(150) == encode_volume(100) == 0x7F7F
    assert decode_volume(encode_volume(101)) == (100, 100, False)


def test_a_failure_after_a_successful_attempt_starts_the_back_off_from_one_second_again() -> None:
    link = HeadsetLink(reconnect=True, retry_max_s=60)
    for t in (0.0, 1.0, 3.0, 7.0):
        link.tried(t, ok=False)                  # waits grow: 1, 2, 4, 8 s
    link.tried(20.0, ok=True)                    # BlueZ accepted, but never reported Connected
    assert link.wait(20.0) == 1.0
    link.tried(21.0, ok=False)
    assert link.wait(21.0) == 1.0 and link.next_try == 22.0
    link.tried(22.0, ok=False)
    assert link.wait(22.0) == 2.0
