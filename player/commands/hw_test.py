"""Check the bedside wiring: press the button, turn the knob, watch the LED.

Prints every button edge, every gesture (single, double, long press) and volume step as it
happens, and what it would do to a session (a simulated one: nothing plays, nothing is
recorded). The LED shows the simulated session's pattern, so a short press should turn the
slow breathe into a steady dim light. Exits 1 if a pin or the pin factory cannot be used.

With --pin-factory mock (no Pi needed, for CI) the pins are simulated and a short, a double
and a long press (and two knob clicks, if an encoder is configured) are driven on them, so
the whole path can be seen working; it then stops without waiting for --seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time

from player.config import load_config
from player.core.cap import cap_db
from player.errors import HardwareUnavailable
from player.session.fake_controller import FakeController

NAME = "hw-test"
HELP = "check the bedside button, volume knob/buttons and LED wiring"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pin-factory", choices=("lgpio", "rpigpio", "pigpio", "native", "mock"),
                        help="override hardware.pin_factory (mock = simulated pins and presses)")
    parser.add_argument("--seconds", type=_seconds, default=60.0, metavar="N",
                        help="stop after N seconds (default 60; Ctrl-C stops earlier)")


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400, got {text}")
    return value


def _wiring(hw) -> list[str]:
    from player.hardware.pins import describe_pin
    lines = [f"  button         {describe_pin(hw.button_pin)} to GND (internal pull-up)"]
    if hw.led_pin is not None:
        lines.append(f"  LED            {describe_pin(hw.led_pin)} -> 330 Ohm -> LED -> GND")
    if hw.encoder_pins:
        a, b = hw.encoder_pins
        lines.append(f"  encoder        A/CLK {describe_pin(a)}, B/DT {describe_pin(b)}, common to GND")
    for label, pin in (("volume up", hw.volume_up_pin), ("volume down", hw.volume_down_pin)):
        if pin is not None:
            lines.append(f"  {label:14} {describe_pin(pin)} to GND")
    return lines


def _printer(started: float, controller: FakeController):
    def report(kind: str, info: dict) -> None:
        t = f"{time.monotonic() - started:7.2f}s"
        if kind in ("pressed", "released"):
            print(f"{t}  button {kind}", flush=True)
        elif kind == "gesture" and "action" not in info:
            led = "fast blink" if info["gesture"] == "hold_warning" else "steady bright"
            print(f"{t}  held: {info['gesture'].replace('_', ' ')} (LED {led})", flush=True)
        elif kind == "gesture":
            action = info["action"] or "nothing (released between warning and long press)"
            print(f"{t}  gesture: {info['gesture']} press -> {action}; simulated session now "
                  f"{controller.status()['state']}", flush=True)
        elif kind == "refused":
            print(f"{t}  gesture: {info['gesture']} -> refused: {info['reason']}", flush=True)
        elif kind == "volume":
            extra = " (at the cap)" if info.get("at_cap") else f", simulated level {info.get('volume_db')} dB"
            print(f"{t}  volume {info['delta_db']:+.1f} dB{extra}", flush=True)
        elif kind == "fault":
            print(f"{t}  FAULT: {info['message']}", flush=True)
    return report


def _simulate(factory, hw, stop: threading.Event, finished: threading.Event) -> None:
    """Drive a short, a double and a long press on mock pins, in real time; then set `finished`."""
    try:
        _press_script(factory, hw, stop)
    finally:
        finished.set()


def _press_script(factory, hw, stop: threading.Event) -> None:
    pin = factory.pin(hw.button_pin)

    def click(held: float, gap: float) -> bool:
        pin.drive_low()
        if stop.wait(held):
            return False
        pin.drive_high()
        return not stop.wait(gap)

    window = hw.double_press_s
    script = [(0.1, window + 0.3), (0.1, window / 3), (0.1, window + 0.3), (hw.long_press_s + 0.1, 0.3)]
    for held, gap in script:
        if not click(held, gap):
            return
    if hw.encoder_pins:
        a, b = (factory.pin(p) for p in hw.encoder_pins)
        for first, second in ((a, b), (a, b), (b, a)):  # two clicks clockwise, one back
            for edge in (first.drive_low, second.drive_low, first.drive_high, second.drive_high):
                edge()
            if stop.wait(0.2):
                return


def run(args: argparse.Namespace) -> int:
    from player.hardware.bedside import Bedside  # gpiozero: only when the bedside is tested
    from player.hardware.pins import make_pin_factory

    config = load_config(args.config)
    hw = config.hardware
    name = args.pin_factory or hw.pin_factory
    factory = make_pin_factory(name)
    print(f"hw-test: pin factory {name}; wiring expected by the config ({config.source}):")
    print("\n".join(_wiring(hw)))
    print("Press the button (short, double, long), turn the knob; the LED flashes once now, then breathes.")
    controller = FakeController(max_db=cap_db(config.volume), volume_db=config.volume.default_db)
    started = time.monotonic()
    stop = threading.Event()
    simulator = None
    finished = threading.Event()
    try:
        with Bedside(config, controller, pin_factory=factory, reporter=_printer(started, controller)) as bedside:
            if bedside.fault:
                raise HardwareUnavailable(f"bedside hardware fault: {bedside.fault}")
            if bedside.led is not None:
                bedside.led.flash("ack")
            if name == "mock":
                simulator = threading.Thread(target=_simulate, args=(factory, hw, stop, finished), name="hw-test-sim")
                simulator.start()
            with contextlib.suppress(KeyboardInterrupt):
                (finished if simulator else stop).wait(args.seconds)
            stop.set()
            if simulator is not None:
                simulator.join()
            bedside.sync_for_test(5)
    finally:
        factory.close()
    print(f"hw-test: done after {time.monotonic() - started:.1f} s; {len(controller.submitted)} control(s) seen")
    return 0
