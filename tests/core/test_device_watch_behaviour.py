"""The device watch, by what it is for: notice a lost sound card within one poll, say so once,
look for it again soon and then less often, and say once when it is back."""

from __future__ import annotations

from player.core.device_watch import POLL_S, RETRY_FIRST_S, DeviceWatch


def test_a_present_device_is_probed_every_poll_interval() -> None:
    w = DeviceWatch(retry_max_s=30.0)
    assert w.due(0.0)                                   # the first probe is due at once
    assert w.probed(0.0, True) is None
    assert not w.due(POLL_S - 0.001) and w.due(POLL_S)
    assert w.probed(POLL_S, True) is None
    assert not w.due(2 * POLL_S - 0.001) and w.due(2 * POLL_S)


def test_a_failed_probe_says_lost_and_the_loss_is_reported_once() -> None:
    w = DeviceWatch(retry_max_s=30.0)
    assert w.probed(5.0, False) == "lost"
    assert w.lost(5.0) is True and not w.ok
    assert w.lost(5.5) is False                          # already known: not a second fault
    assert w.probed(6.0, False) is None                  # still gone: nothing new


def test_a_lost_device_is_looked_for_after_one_second_then_twice_as_long_up_to_the_limit() -> None:
    w = DeviceWatch(retry_max_s=10.0)
    w.lost(100.0)
    assert not w.due(100.0 + RETRY_FIRST_S - 0.001) and w.due(100.0 + RETRY_FIRST_S)
    now, gaps = 100.0 + RETRY_FIRST_S, []
    for _ in range(6):
        w.probed(now, False)
        gaps.append(w.next_check - now)
        now = w.next_check
    assert gaps == [2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_a_device_back_is_said_once_and_then_probed_at_the_poll_interval() -> None:
    w = DeviceWatch(retry_max_s=30.0)
    w.lost(0.0)
    w.probed(1.0, False)
    assert w.probed(3.0, True) == "restored" and w.ok
    assert not w.due(3.0 + POLL_S - 0.001) and w.due(3.0 + POLL_S)
    assert w.probed(3.0 + POLL_S, True) is None


def test_a_second_loss_starts_the_retries_from_one_second_again() -> None:
    w = DeviceWatch(retry_max_s=30.0)
    w.lost(0.0)
    for now in (1.0, 3.0, 7.0):
        w.probed(now, False)
    w.probed(15.0, True)
    assert w.lost(20.0)
    assert w.next_check == 20.0 + RETRY_FIRST_S
    w.probed(21.0, False)
    assert w.next_check == 21.0 + 2.0
