"""The bedside button steering the real daemon (session engine, fake audio) on MockFactory pins.

The daemon runs on a FakeClock, which it hands to the engine and the bedside alike, so the
gesture windows (double press, hold) close when the test moves the clock, not when a busy
shared machine gets round to it: two presses are a double press however late the second
one is scheduled, and a single press is decided only once the test says its window is over.
"""

from __future__ import annotations

import threading
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from player.clock import FakeClock
from player.daemon import Daemon
from player.engine.eventlog import read_events
from player.hardware import Bedside
from tests.engine.conftest import daemon_config, demo_playlist  # noqa: F401 - demo_playlist is a fixture


def wait_for_state(daemon: Daemon, state: str, timeout: float = 10.0) -> bool:
    """Wait on the engine's own events (no polling sleep) until the session is in `state`."""
    reached = threading.Event()

    def on_event(record: dict) -> None:
        if record["type"] == "state_changed" and record["details"].get("to") == state:
            reached.set()

    unsubscribe = daemon.controller.subscribe(on_event)
    try:
        daemon.controller.sync()
        ok = daemon.status()["state"] == state or reached.wait(timeout)
        daemon.controller.sync()  # the engine publishes its snapshot after the event
        return ok
    finally:
        unsubscribe()


def test_button_starts_marks_pauses_resumes_and_stops_a_real_session(tmp_path: Path, demo_playlist: Path):  # noqa: F811
    factory = MockFactory(pin_class=MockPWMPin)
    config = daemon_config(tmp_path / "data", session={"default_playlist": str(demo_playlist)},
                           hardware={"enabled": True, "pin_factory": "mock", "bounce_s": 0})
    hw = daemon_config_hardware(config)
    clock = FakeClock()
    button = factory.pin(17)

    def click(bedside: Bedside) -> None:
        button.drive_low()
        clock.advance(0.1)
        button.drive_high()
        assert bedside.sync_for_test(10)

    def window_closes(bedside: Bedside) -> None:
        clock.advance(hw["double_press_s"])
        assert bedside.sync_for_test(10)

    try:
        with Daemon(config, pin_factory=factory, clock=clock) as daemon:
            bedside = daemon.part(Bedside)
            assert bedside is not None and bedside.fault is None
            assert daemon.status()["state"] == "idle"
            click(bedside)
            assert daemon.status()["state"] == "idle"  # the double-press window is still open
            window_closes(bedside)
            assert wait_for_state(daemon, "playing")
            session_id = daemon.status()["session_id"]
            click(bedside)
            click(bedside)  # double press: a mark, no change of state
            window_closes(bedside)
            daemon.controller.sync()
            assert daemon.status()["state"] == "playing"
            click(bedside)
            window_closes(bedside)
            assert wait_for_state(daemon, "paused")
            click(bedside)
            window_closes(bedside)
            assert wait_for_state(daemon, "playing")
            n = bedside.led.shown_count
            button.drive_low()
            clock.advance(hw["long_press_s"])
            assert bedside.sync_for_test(10)
            assert bedside.led.wait_for_pattern("hold_armed", 10, after=n)
            button.drive_high()
            assert wait_for_state(daemon, "ended")
            assert bedside.sync_for_test(10)
        events = read_events(tmp_path / "data" / "sessions" / session_id / "events.jsonl")
        by_button = [e for e in events if e.get("source") == "button"]
        marks = [e for e in by_button if e["type"] == "marked"]
        assert len(marks) == 1 and marks[0]["details"]["text"] == "staff mark"
        assert [e["type"] for e in by_button] == ["session_started", "marked", "paused", "resumed", "session_ended"]
        assert [e["details"]["reason"] for e in events if e["type"] == "session_ended"] == ["stopped"]
    finally:
        factory.reset()
        factory.close()


def daemon_config_hardware(config: dict) -> dict:
    """The gesture timings the daemon will use: the config's, else the defaults."""
    from player.config import load_config

    hardware = load_config(config).hardware
    return {"double_press_s": hardware.double_press_s, "long_press_s": hardware.long_press_s}
