"""LED patterns (pure, per state) and the driver on a real MockPWMPin."""

from __future__ import annotations

import pytest
from gpiozero import PWMLED

from player.hardware.led import STATE_PATTERNS, LedDriver, make_pattern, state_pattern_name


@pytest.mark.parametrize("state, name", [("idle", "breathe"), ("ready", "breathe"), ("ended", "breathe"),
                                         ("playing", "dim"), ("paused", "slow_blink"),
                                         ("faulted", "double_blink")])
def test_pattern_per_state(state, name):
    assert state_pattern_name({"state": state, "faults": []}) == name


def test_any_current_fault_or_bedside_fault_is_a_double_blink():
    assert state_pattern_name({"state": "playing", "faults": ["audio device lost"]}) == "double_blink"
    assert state_pattern_name({"state": "playing", "faults": []}, fault=True) == "double_blink"
    assert state_pattern_name({"state": "mystery"}) == "double_blink"


@pytest.mark.parametrize("name", sorted(set(STATE_PATTERNS.values()) | {"refused", "off"}))
@pytest.mark.parametrize("brightness", [0.01, 0.3, 1.0])
def test_state_patterns_never_exceed_the_configured_brightness(name, brightness):
    levels = [level for level, _ in make_pattern(name, brightness).steps]
    assert all(0.0 <= level <= brightness + 1e-12 for level in levels)


def test_pattern_shapes():
    b = 0.4
    breathe = make_pattern("breathe", b)
    levels = [lv for lv, _ in breathe.steps]
    assert breathe.repeat and max(levels) == pytest.approx(b) and min(levels) == 0.0
    assert sum(s for _, s in breathe.steps) == pytest.approx(3.0, abs=0.1)
    assert make_pattern("dim", b).steps == ((b / 4, None),)
    assert make_pattern("slow_blink", b).steps == ((b, 0.5), (0.0, 1.5))
    dbl = make_pattern("double_blink", b)
    assert [lv for lv, _ in dbl.steps] == [b, 0.0, b, 0.0] and dbl.repeat
    ack = make_pattern("ack", b)
    assert not ack.repeat and ack.steps[0][0] == pytest.approx(1.0)  # one bright flash, 3x capped at full
    assert make_pattern("ack", 0.1).steps[0][0] == pytest.approx(0.3)
    assert not make_pattern("refused", b).repeat
    fast = make_pattern("hold_warning", b)
    assert fast.repeat and sum(s for _, s in fast.steps) == pytest.approx(0.2)
    with pytest.raises(ValueError):
        make_pattern("disco", b)


@pytest.fixture
def pwm_led(factory):
    led = PWMLED(27, pin_factory=factory)
    yield led
    led.close()


def test_driver_plays_base_flash_and_hold_on_the_pin(factory, pwm_led):
    driver = LedDriver(pwm_led, 0.4)
    try:
        n = driver.shown_count
        driver.show("dim")
        assert driver.wait_for_pattern("dim", 5, after=n)
        pin = factory.pin(27)
        assert driver.current == "dim"
        assert pin.state == pytest.approx(0.1)
        n = driver.shown_count
        driver.flash("ack")
        assert driver.wait_for_pattern("ack", 5, after=n)
        assert driver.wait_for_pattern("dim", 5, after=n + 1)  # back to the base after one flash
        assert any(s.state == pytest.approx(1.0) for s in pin.states)
        n = driver.shown_count
        driver.hold("hold_armed")
        driver.show("slow_blink")  # the base changes underneath the hold
        assert driver.wait_for_pattern("hold_armed", 5, after=n)
        n = driver.shown_count
        driver.hold(None)
        assert driver.wait_for_pattern("slow_blink", 5, after=n)
    finally:
        driver.close()
        driver.close()
    assert factory.pin(27).state == 0.0


def test_driver_without_an_led_still_tracks_patterns():
    driver = LedDriver(None, 0.3)
    try:
        driver.show("breathe")
        assert driver.wait_for_pattern("breathe", 5)
    finally:
        driver.close()


def test_showing_the_same_pattern_again_does_not_restart_it(factory, pwm_led):
    """The status is re-read every second; a 3 s breathe must not restart from dark each time."""
    driver = LedDriver(pwm_led, 0.4)
    try:
        driver.show("breathe")
        assert driver.wait_for_pattern("breathe", 5)
        version = driver._version
        driver.show("breathe")
        driver.hold(None)
        assert driver._version == version
    finally:
        driver.close()


def test_a_due_checkpoint_has_its_own_pattern_below_a_fault():
    due = {"state": "playing", "faults": [], "checkpoints": [{"state": "done"}, {"state": "due"}]}
    assert state_pattern_name(due) == "checkpoint_due"
    assert state_pattern_name({**due, "state": "paused"}) == "checkpoint_due"
    assert state_pattern_name({**due, "faults": ["audio device lost"]}) == "double_blink"
    assert state_pattern_name({**due, "checkpoints": [{"state": "missed"}, {"state": "upcoming"}]}) == "dim"
    b = 0.4
    cp = make_pattern("checkpoint_due", b)
    assert cp.repeat and [lv for lv, _ in cp.steps] == [b, b / 4, b, b / 4, b, b / 4]
    assert sum(s for _, s in cp.steps) == pytest.approx(3.0)
    assert cp.steps != make_pattern("double_blink", b).steps and max(lv for lv, _ in cp.steps) <= b


def test_the_bedside_led_shows_a_due_checkpoint_until_it_is_acknowledged(make_rig, factory):
    from dataclasses import replace

    from player.clock import FakeClock
    from player.control.fake import FakeController, planned_only
    from player.playlist.model import Checkpoint

    clock = FakeClock()
    playlist = replace(planned_only("default.yaml"), checkpoints=(Checkpoint(10.0, "BP"),))
    ctrl = FakeController(playlists={"default.yaml": playlist}, clock=clock)
    rig = make_rig(hardware={"led_brightness": 0.4}, ctrl=ctrl)
    ctrl.submit("start", source="cli")
    led = rig.bedside.led
    assert led.wait_for_pattern("dim", 5)
    clock.advance(11.0)
    n = led.shown_count
    ctrl.submit("mark", source="cli", text="x")          # any record makes the bedside read the status again
    assert led.wait_for_pattern("checkpoint_due", 5, after=n)
    n = led.shown_count
    ctrl.submit("observe", source="cli", kind="bp", value="128/82")   # acknowledges it
    assert led.wait_for_pattern("dim", 5, after=n)
