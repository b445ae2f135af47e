"""Bedside test kit: a fresh MockFactory per test (passed explicitly, reset and closed after),
a FakeClock for gesture timing, the FakeController, and a recorder of Bedside reports."""

from __future__ import annotations

import threading

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from player.clock import FakeClock
from player.config import load_config
from player.control.fake import FakeController
from player.hardware import Bedside


class Recorder:
    """Collects `(kind, info)` reports from the Bedside worker; wait with a Condition, not sleep."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []
        self._cond = threading.Condition()

    def __call__(self, kind: str, info: dict) -> None:
        with self._cond:
            self.items.append((kind, info))
            self._cond.notify_all()

    def of(self, kind: str) -> list[dict]:
        with self._cond:
            return [info for k, info in self.items if k == kind]

    def decisions(self) -> list[str]:
        return [i["gesture"] for i in self.of("gesture") if "action" in i]


class Rig:
    """One Bedside on a MockFactory with a FakeClock; `press(held_s)` drives pin 17."""

    def __init__(self, factory, controller, clock, bedside, recorder) -> None:
        self.factory, self.controller, self.clock = factory, controller, clock
        self.bedside, self.reports = bedside, recorder

    def pin(self, number: int):
        return self.factory.pin(number)

    def press(self, held_s: float = 0.1, *, pin: int = 17, gap_s: float = 0.0) -> None:
        p = self.pin(pin)
        p.drive_low()
        self.clock.advance(held_s)
        p.drive_high()
        self.clock.advance(gap_s)

    def settle(self, advance_s: float = 0.0) -> None:
        """Move the fake clock on and wait until the worker has acted on everything."""
        self.clock.advance(advance_s)
        assert self.bedside.sync_for_test(5)


@pytest.fixture
def factory():
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()
    f.close()


@pytest.fixture
def controller():
    return FakeController(max_db=-6.0, volume_db=-12.0)


@pytest.fixture
def make_rig(factory, controller):
    made: list[Bedside] = []

    def make(hardware: dict | None = None, session: dict | None = None, *, ctrl=None) -> Rig:
        config = load_config({"hardware": hardware or {}, "session": session or {}})
        clock = FakeClock()
        recorder = Recorder()
        bedside = Bedside(config, ctrl or controller, pin_factory=factory, clock=clock, reporter=recorder)
        made.append(bedside)
        bedside.start()
        return Rig(factory, ctrl or controller, clock, bedside, recorder)

    yield make
    for bedside in made:
        bedside.close()
