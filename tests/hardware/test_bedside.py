"""Bedside on real gpiozero devices (MockFactory pins) against the FakeController."""

from __future__ import annotations

import threading

import pytest
from gpiozero import Button
from gpiozero.pins.mock import MockPWMPin

from player.config import load_config
from player.control.fake import FakeController
from player.errors import SessionRefused
from player.hardware import Bedside


def actions(rig) -> list[tuple[str, dict]]:
    return [(a, args) for a, _, args in rig.controller.submitted]


def test_short_press_starts_pauses_and_resumes(make_rig):
    rig = make_rig(session={"default_playlist": "/srv/playlists/calm.yaml"})
    rig.press(0.1)
    rig.settle(0.39)
    assert rig.controller.submitted == []  # still inside the double-press window
    rig.settle(0.01)
    assert actions(rig) == [("start", {"playlist": "/srv/playlists/calm.yaml"})]
    assert rig.controller.submitted[0][1] == "button"
    rig.press(0.1)
    rig.settle(0.5)
    rig.press(0.1)
    rig.settle(0.5)
    assert [a for a, _ in actions(rig)] == ["start", "pause", "resume"]
    assert rig.controller.status()["state"] == "playing"


def test_short_press_without_default_playlist_starts_the_configured_default(make_rig):
    rig = make_rig()
    rig.press(0.1)
    rig.settle(1)
    assert actions(rig) == [("start", {})]


def test_double_press_marks_and_acknowledges(make_rig, controller):
    controller.submit("start", source="cli")
    rig = make_rig()
    n = rig.bedside.led.shown_count
    rig.press(0.1, gap_s=0.2)
    rig.press(0.1)
    rig.settle()
    assert actions(rig)[-1] == ("mark", {"text": "staff mark"})
    assert rig.bedside.led.wait_for_pattern("ack", 5, after=n)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start", "mark"]  # no single press left over
    assert controller.status()["state"] == "playing"  # no sound change


def test_two_slow_presses_are_two_singles(make_rig):
    rig = make_rig()
    rig.press(0.1, gap_s=0.45)
    rig.press(0.1)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start", "pause"]


def test_long_press_then_double_press_stops_with_hold_signal_and_threshold(make_rig, controller):
    controller.submit("start", source="cli")
    rig = make_rig(hardware={"button_stop": "confirm"})
    led = rig.bedside.led
    n = led.shown_count
    rig.pin(17).drive_low()
    rig.settle(0.99)
    assert led.current != "hold_warning"
    rig.settle(0.01)
    assert led.wait_for_pattern("hold_warning", 5, after=n)
    rig.settle(0.99)
    assert not rig.reports.of("gesture") or all(g["gesture"] != "hold_armed" for g in rig.reports.of("gesture"))
    rig.settle(0.01)
    assert led.wait_for_pattern("hold_armed", 5, after=n)
    rig.pin(17).drive_high()
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start"]  # the long press only asks
    assert controller.status()["state"] == "playing"
    assert led.current == "hold_armed"  # steady bright: "double press to end"
    rig.press(0.1, gap_s=0.2)
    rig.press(0.1)
    rig.settle()
    assert actions(rig)[-1] == ("stop", {})
    assert controller.status()["state"] == "ended"
    assert led.wait_for_pattern("breathe", 5, after=n)


def test_gripped_button_never_stops_by_default(make_rig, controller):
    """The shipped default (button_stop: off): a patient gripping the button for 10 s, letting go,
    gripping again and double-pressing neither ends nor marks an end; no hold signal is shown."""
    controller.submit("start", source="cli")
    rig = make_rig()
    led = rig.bedside.led
    n = led.shown_count
    rig.pin(17).drive_low()
    rig.settle(10)
    assert led.current != "hold_armed" and led.current != "hold_warning"
    rig.pin(17).drive_high()
    rig.settle(1)
    assert rig.reports.of("refused")[-1]["reason"].startswith("ending a session from the bedside button is off")
    assert led.wait_for_pattern("refused", 5, after=n)
    rig.press(0.1, gap_s=0.2)
    rig.press(0.1)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start", "mark"]
    assert controller.status()["state"] == "playing"


def test_unconfirmed_stop_request_expires_or_is_cancelled(make_rig, controller):
    controller.submit("start", source="cli")
    rig = make_rig(hardware={"button_stop": "confirm", "stop_confirm_s": 5})
    rig.press(2.5)
    rig.settle(5)  # the window runs out
    assert [g["gesture"] for g in rig.reports.of("gesture") if g.get("stop")] == ["long", "stop_expired"]
    assert rig.bedside.led.current != "hold_armed"
    rig.press(0.1, gap_s=0.2)
    rig.press(0.1)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start", "mark"]  # a late double press is only a mark
    rig.press(2.5)
    rig.settle(0.5)
    rig.press(0.1)  # a single press cancels: no pause either
    rig.settle(1)
    rig.press(0.1, gap_s=0.2)
    rig.press(0.1)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start", "mark", "mark"]
    rig.press(2.5)
    rig.settle(0.5)
    rig.press(2.5)  # a second grip cancels too, it does not re-arm
    rig.settle(0.5)
    rig.press(0.1, gap_s=0.2)
    rig.press(0.1)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start", "mark", "mark", "mark"]
    assert controller.status()["state"] == "playing"


def test_release_between_warning_and_threshold_cancels(make_rig, controller):
    controller.submit("start", source="cli")
    rig = make_rig()
    rig.press(1.5)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start"]
    assert rig.reports.decisions() == ["cancelled"]
    assert rig.bedside.led.wait_for_pattern("dim", 5)


def test_bounce_on_press_and_release_is_one_gesture(make_rig):
    rig = make_rig()
    pin = rig.pin(17)
    for _ in range(3):  # make chatter: 3 ms apart
        pin.drive_low()
        rig.clock.advance(0.001)
        pin.drive_high()
        rig.clock.advance(0.002)
    pin.drive_low()
    rig.clock.advance(0.15)
    for _ in range(3):  # break chatter
        pin.drive_high()
        rig.clock.advance(0.002)
        pin.drive_low()
        rig.clock.advance(0.001)
    pin.drive_high()
    rig.settle(1)
    assert actions(rig) == [("start", {})]


def test_press_during_a_fade_acts_on_the_state_the_fade_leads_to(make_rig, controller):
    """Pause starts a fade-out and the session is 'paused' at once: a press during the fade resumes
    (the engine reverses the ramp from where it is). Nothing is queued for 'after the fade'."""
    controller.submit("start", source="cli")
    rig = make_rig()
    rig.press(0.1)
    rig.settle(0.4)
    assert controller.status()["state"] == "paused"
    rig.press(0.1)  # 0.4 s into a multi-second fade-out
    rig.settle(0.4)
    assert [a for a, _ in actions(rig)] == ["start", "pause", "resume"]


class GatedController(FakeController):
    """Holds the first button submit until `gate` is set: an engine busy with a fade or an fsync."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()

    def submit(self, action, *, source, timeout_s=10.0, **args):
        if source == "button" and not self.entered.is_set():
            self.entered.set()
            assert self.gate.wait(10)
        return super().submit(action, source=source, timeout_s=timeout_s, **args)


def test_a_busy_engine_never_blocks_the_pin_thread_and_loses_no_press(make_rig):
    ctrl = GatedController()
    rig = make_rig(ctrl=ctrl)
    rig.press(0.1)
    rig.clock.advance(0.5)
    rig.bedside.wake_for_test()
    assert ctrl.entered.wait(5)  # the worker is stuck in submit("start")
    rig.press(0.1, gap_s=0.1)  # these drive calls return at once: edges are only queued
    rig.press(0.1)
    ctrl.gate.set()
    rig.settle()
    assert [a for a, _, _ in ctrl.submitted] == ["start", "mark"]


class HeldPin(MockPWMPin):
    """A button pin that reads low (pressed) when the device opens it: held at boot, or stuck."""

    def _set_pull(self, value):
        self._pull = value


def test_button_held_at_boot_is_ignored_until_released(factory, make_rig, caplog):
    factory.pin(17, pin_class=HeldPin)
    rig = make_rig()
    assert "ignored until released" in caplog.text
    rig.settle(10)
    rig.pin(17).drive_high()
    rig.settle(10)
    assert rig.controller.submitted == []
    rig.press(0.1)
    rig.settle(1)
    assert actions(rig) == [("start", {})]


def test_refused_answer_is_logged_flashed_and_the_worker_carries_on(make_rig, caplog):
    rig = make_rig(hardware={"button_stop": "confirm"})
    n = rig.bedside.led.shown_count
    rig.press(3.0, gap_s=1)  # long press, then a double press, while idle: the engine refuses "stop"
    rig.press(0.1, gap_s=0.2)
    rig.press(0.1)
    rig.settle()
    assert rig.reports.of("refused")[0]["action"] == "stop"
    assert "cannot stop" in caplog.text
    assert rig.bedside.led.wait_for_pattern("refused", 5, after=n)
    rig.settle(1)
    rig.press(0.1)
    rig.settle(1)
    assert actions(rig) == [("start", {})]


class BrokenController(FakeController):
    """Times out on the button's first press (the one that would start a session while idle)."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = True

    def submit(self, action, *, source, timeout_s=10.0, **args):
        if source == "button" and action == "press" and self.broken:
            self.broken = False
            raise TimeoutError("engine did not answer within 10 s")
        return super().submit(action, source=source, timeout_s=timeout_s, **args)


def test_engine_timeout_or_crash_never_kills_the_bedside(make_rig):
    rig = make_rig(ctrl=BrokenController())
    rig.press(0.1)
    rig.settle(1)
    assert "TimeoutError" in rig.reports.of("refused")[0]["reason"]
    rig.controller.submit("start", source="cli")
    rig.press(0.1)
    rig.settle(1)
    assert rig.controller.status()["state"] == "paused"


def test_short_press_while_faulted_does_nothing(make_rig, controller):
    controller.submit("start", source="cli")
    controller.set_state_for_test(state="faulted")
    rig = make_rig()
    rig.press(0.1)
    rig.settle(1)
    assert [a for a, _ in actions(rig)] == ["start"]
    assert "faulted" in rig.reports.of("refused")[0]["reason"]


@pytest.mark.parametrize("state, pattern", [("playing", "dim"), ("paused", "slow_blink"),
                                            ("faulted", "double_blink"), ("idle", "breathe"), ("ended", "breathe")])
def test_led_follows_controller_events(make_rig, controller, state, pattern):
    rig = make_rig(hardware={"led_brightness": 0.4})
    n = rig.bedside.led.shown_count
    if state != "idle":
        controller.set_state_for_test(state=state)
    already = pattern == "breathe"  # idle's pattern: showing it again does not restart it
    assert rig.bedside.led.wait_for_pattern(pattern, 5, after=0 if already else n)
    if pattern == "dim":
        rig.settle()
        assert rig.pin(27).state == pytest.approx(0.1)


def test_led_double_blinks_on_a_current_fault(make_rig, controller):
    rig = make_rig()
    controller.set_state_for_test(state="playing", faults=["audio device lost"])
    assert rig.bedside.led.wait_for_pattern("double_blink", 5)


# --- volume ----------------------------------------------------------------------------------

def turn(rig, detents: int, a: int = 5, b: int = 6) -> None:
    """Drive the quadrature sequence of `detents` clicks (positive = clockwise)."""
    first, second = (rig.pin(a), rig.pin(b)) if detents > 0 else (rig.pin(b), rig.pin(a))
    for _ in range(abs(detents)):
        first.drive_low()
        second.drive_low()
        first.drive_high()
        second.drive_high()


def volume_deltas(rig) -> list[float]:
    return [args["delta_db"] for a, args in actions(rig) if a == "volume"]


def test_encoder_clockwise_is_up_counter_clockwise_is_down(make_rig, controller):
    rig = make_rig(hardware={"encoder_pins": [5, 6]})
    turn(rig, 1)
    rig.settle()
    assert volume_deltas(rig) == [1.5]
    assert controller.status()["volume_db"] == pytest.approx(-10.5)
    turn(rig, -3)
    rig.settle()
    assert sum(volume_deltas(rig)) == pytest.approx(1.5 - 4.5)
    assert controller.status()["volume_db"] == pytest.approx(-15.0)
    assert all("level_db" not in args for _, args in actions(rig))


def test_encoder_step_is_configurable(make_rig, controller):
    rig = make_rig(hardware={"encoder_pins": [5, 6], "encoder_step_db": 0.5})
    turn(rig, 2)
    rig.settle()
    assert controller.status()["volume_db"] == pytest.approx(-11.0)


def test_encoder_up_stops_at_the_cap(make_rig, controller):
    rig = make_rig(hardware={"encoder_pins": [5, 6]})
    for _ in range(10):
        turn(rig, 1)
        rig.settle()
    assert controller.status()["volume_db"] == pytest.approx(-6.0)
    assert sum(volume_deltas(rig)) == pytest.approx(6.0)  # never asked beyond the cap
    assert rig.reports.of("volume")[-1].get("at_cap")


def test_volume_buttons_step_and_auto_repeat_while_held(make_rig, controller):
    rig = make_rig(hardware={"volume_up_pin": 22, "volume_down_pin": 23, "repeat_s": 0.3})
    down = rig.pin(23)
    down.drive_low()
    rig.settle()
    assert volume_deltas(rig) == [-3.0]
    rig.settle(0.59)
    assert volume_deltas(rig) == [-3.0]
    rig.settle(0.01)
    rig.settle(0.3)
    assert volume_deltas(rig) == [-3.0, -3.0, -3.0]
    down.drive_high()
    rig.settle(5)
    assert controller.status()["volume_db"] == pytest.approx(-21.0)
    rig.press(0.1, pin=22)
    rig.settle()
    assert controller.status()["volume_db"] == pytest.approx(-18.0)


def test_volume_button_held_at_boot_is_ignored(factory, make_rig):
    factory.pin(22, pin_class=HeldPin)
    rig = make_rig(hardware={"volume_up_pin": 22, "volume_down_pin": 23})
    rig.settle(30)
    assert rig.controller.submitted == []


# --- faults, life cycle ----------------------------------------------------------------------

def test_busy_button_pin_is_a_logged_fault_and_the_rest_runs(factory, make_rig, caplog):
    squatter = Button(17, pin_factory=factory)
    try:
        rig = make_rig()
        assert "BCM 17" in rig.bedside.fault and "GPIOPinInUse" in rig.bedside.fault
        assert "bedside hardware fault" in caplog.text
        assert rig.bedside.led.wait_for_pattern("double_blink", 5)  # the LED still shows it
    finally:
        squatter.close()


def test_unloadable_pin_factory_is_a_fault_not_an_exception(controller, caplog):
    config = load_config({"hardware": {"pin_factory": "pigpio"}})
    with Bedside(config, controller) as bedside:
        assert "pigpio" in bedside.fault and "hardware.pin_factory: mock" in bedside.fault
    assert "bedside hardware fault" in caplog.text


def test_disabled_hardware_opens_nothing(factory, controller):
    config = load_config({"hardware": {"enabled": False}})
    with Bedside(config, controller, pin_factory=factory) as bedside:
        assert bedside.fault is None and bedside.led is None
    assert not factory.pins


def test_close_is_idempotent_and_releases_the_pins(factory, controller):
    bedside = Bedside(load_config({}), controller, pin_factory=factory)
    bedside.start()
    bedside.start()
    bedside.close()
    bedside.close()
    Button(17, pin_factory=factory).close()  # free again
    with pytest.raises(RuntimeError, match="closed"):
        bedside.start()
    assert "closed" in repr(bedside)


def test_own_mock_factory_from_config_is_closed(controller):
    with Bedside(load_config({"hardware": {"pin_factory": "mock"}}), controller) as bedside:
        assert bedside.fault is None
        assert bedside.led.wait_for_pattern("breathe", 5)


def test_refusal_types_are_the_controllers(make_rig):
    with pytest.raises(SessionRefused):
        make_rig().controller.submit("pause", source="button")


class StaleController(FakeController):
    """Like the engine: listeners run before the new snapshot is published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: dict | None = None

    def status(self):
        return dict(self.published) if self.published is not None else super().status()



def test_led_trusts_the_state_changed_event_over_a_stale_snapshot(make_rig):
    ctrl = StaleController()
    rig = make_rig(ctrl=ctrl)
    n = rig.bedside.led.shown_count
    ctrl.published = ctrl.status()  # every read is stale from now on
    record = {"type": "state_changed", "details": {"from": "idle", "to": "paused"}}
    ctrl._listeners.deliver(record)
    assert rig.bedside.led.wait_for_pattern("slow_blink", 5, after=n)


def test_led_rereads_the_status_every_second(make_rig):
    ctrl = StaleController()
    rig = make_rig(ctrl=ctrl)
    rig.settle()
    assert rig.bedside.led.wait_for_pattern("breathe", 5)   # the LED's own thread has shown idle
    ctrl.set_state_for_test(notify=False, state="playing")  # changed without any event
    rig.settle(0.5)
    assert rig.bedside.led.current == "breathe"
    n = rig.bedside.led.shown_count
    rig.settle(0.6)
    assert rig.bedside.led.wait_for_pattern("dim", 5, after=n)
