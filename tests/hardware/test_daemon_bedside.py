"""The bedside button steering the real daemon (session engine, fake audio) on MockFactory pins."""

from __future__ import annotations

import threading
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from player.daemon import Daemon
from player.hardware import Bedside
from player.session.eventlog import read_events
from tests.session.conftest import daemon_config, demo_playlist  # noqa: F401 - demo_playlist is a fixture


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
                           hardware={"enabled": True, "pin_factory": "mock", "bounce_s": 0,
                                     "double_press_s": 0.15, "long_press_s": 0.5})
    button = factory.pin(17)

    def click() -> None:
        button.drive_low()
        button.drive_high()

    try:
        with Daemon(config, pin_factory=factory) as daemon:
            bedside = daemon.part(Bedside)
            assert bedside is not None and bedside.fault is None
            assert daemon.status()["state"] == "idle"
            click()
            assert wait_for_state(daemon, "playing")
            session_id = daemon.status()["session_id"]
            click()
            click()  # double press: a mark, no change of state
            click()
            assert wait_for_state(daemon, "paused")
            click()
            assert wait_for_state(daemon, "playing")
            n = bedside.led.shown_count
            button.drive_low()
            assert bedside.led.wait_for_pattern("hold_armed", 10, after=n)
            button.drive_high()
            assert wait_for_state(daemon, "ended")
            assert bedside.sync_for_test(10)
        events = read_events(tmp_path / "data" / "sessions" / session_id / "events.jsonl")
        by_button = [e for e in events if e.get("source") == "button"]
        marks = [e for e in by_button if e["type"] == "marked"]
        assert len(marks) == 1 and marks[0]["details"]["text"] == "staff mark"
        assert {e["type"] for e in by_button} >= {"marked"}
        assert [e["type"] for e in events if e["type"] in ("paused", "resumed")] == ["paused", "resumed"]
    finally:
        factory.reset()
        factory.close()
