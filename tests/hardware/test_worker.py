"""The bedside worker thread: batches of stamped events, deadlines, and it survives its handler."""

from __future__ import annotations

import threading

from player.clock import FakeClock
from player.hardware.worker import EdgeWorker


def test_posted_events_reach_the_handler_stamped_and_a_failing_batch_does_not_stop_it():
    clock = FakeClock()
    seen: list[tuple] = []
    done = threading.Event()

    def handle(batch: list[tuple]) -> None:
        seen.extend(batch)
        if any(kind == "boom" for kind, *_ in batch):
            raise RuntimeError("a bad answer")
        if any(kind == "last" for kind, *_ in batch):
            done.set()

    worker = EdgeWorker("t-worker", clock, handle, lambda: clock.monotonic() + 3600)
    worker.post("boom")
    worker.start()
    clock.advance(1.5)
    worker.post("last", 7)
    assert done.wait(10)
    worker.stop()
    assert seen == [("boom", 1000.0), ("last", 7, 1001.5)]


def test_stop_before_start_is_a_no_op():
    EdgeWorker("never", FakeClock(), lambda batch: None, lambda: 0.0).stop(timeout=0.1)
