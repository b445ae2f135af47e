"""The chair's outbox: ordered, numbered, bounded (the oldest go first, counted)."""

from __future__ import annotations

import threading

from player.mqtt.outbox import Outbox


def test_numbered_in_order_and_the_oldest_dropped_when_full():
    box = Outbox(3)
    for n in range(5):
        box.put({"seq": n})
    assert len(box) == 3 and box.dropped == 2
    first = box.peek()
    assert first == {"seq": 2, "feed_seq": 3}
    box.done(first)
    assert box.peek() == {"seq": 3, "feed_seq": 4}


def test_done_ignores_a_record_the_bound_already_dropped():
    box = Outbox(1)
    box.put({"seq": 1})
    taken = box.peek()
    box.put({"seq": 2})            # drops seq 1 while it was being sent
    box.done(taken)
    assert box.peek()["seq"] == 2


def test_put_wakes_the_waiting_publisher():
    box = Outbox(10)
    woke = threading.Event()

    def publisher() -> None:
        box.wait(30)
        woke.set()

    thread = threading.Thread(target=publisher)
    thread.start()
    box.put({"seq": 1})
    assert woke.wait(10)
    thread.join(10)
