"""The engine's thread guard, its deadlines, and its survival of its own bugs (real engine, fake clock)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from player.engine.eventlog import read_events
from tests.engine.test_engine import Rig


@pytest.fixture
def rig(tmp_path: Path):
    r = Rig(tmp_path)
    r.engine.start()
    yield r
    r.engine.close()


def test_submit_from_a_listener_is_refused_at_once(rig: Rig) -> None:
    caught: list[BaseException] = []
    done = threading.Event()

    def listener(record: dict) -> None:
        if record["type"] == "marked" and not done.is_set():
            try:
                rig.engine.submit("mark", source="web", text="from inside")
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                caught.append(exc)
            done.set()
    rig.engine.subscribe(listener)
    rig.start()
    rig.engine.submit("mark", source="web", text="outside", timeout_s=30)
    assert done.wait(5) and isinstance(caught[0], RuntimeError) and "engine thread" in str(caught[0])
    assert rig.engine.submit("mark", source="web", text="still answering")["state"] == "playing"


def test_a_control_that_timed_out_is_never_applied_later(rig: Rig) -> None:
    release, blocked = threading.Event(), threading.Event()

    def slow_listener(record: dict) -> None:       # the engine is busy (a slow disk, say)
        if record["type"] == "marked" and record["details"]["text"] == "slow":
            blocked.set()
            release.wait(10)
    rig.engine.subscribe(slow_listener)
    rig.start()
    threading.Thread(target=lambda: rig.engine.submit("mark", source="web", text="slow", timeout_s=30)).start()
    assert blocked.wait(5)
    with pytest.raises(TimeoutError, match="not applied"):
        rig.engine.submit("mark", source="web", text="too late", timeout_s=0.3)
    release.set()
    assert rig.engine.sync()
    texts = [e["details"]["text"] for e in rig.events() if e["type"] == "marked"]
    assert texts == ["slow"]                          # the caller was told it failed: it did not happen


def test_an_error_inside_a_step_is_a_fault_not_a_dead_thread(rig: Rig) -> None:
    rig.start()
    real_tick = rig.mixer.tick
    broken = {"left": 1}

    def tick():
        if broken["left"]:
            broken["left"] -= 1
            raise ValueError("a bug in the mixer")
        return real_tick()
    rig.mixer.tick = tick
    rig.advance(1.0)
    st = rig.engine.status()
    assert rig.engine.is_running and "internal error: a bug in the mixer" in st["faults"]
    assert rig.engine.submit("pause", source="button")["state"] == "paused"
    log = read_events(rig.data_dir / "sessions" / rig.last_sid / "events.jsonl")
    assert any(e["type"] == "fault" and "a bug in the mixer" in e["details"]["message"] for e in log)
