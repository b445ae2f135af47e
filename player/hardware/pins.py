"""Pin factories by config name, loaded only when asked for, failing with a clear message.

`lgpio` is the factory for Raspberry Pi OS Bookworm (Pi 4 and Pi 5); `mock` is gpiozero's
MockFactory with PWM-capable pins, for tests, the demo and `hw-test` without a Pi.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from gpiozero import DigitalInputDevice, RotaryEncoder
from gpiozero.pins.mock import MockFactory, MockPWMPin

from player.config import HardwareConfig
from player.errors import HardwareUnavailable
from player.hardware.volume_keys import VolumeInputs

log = logging.getLogger(__name__)

_FACTORIES = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory", "python3-lgpio"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory", "python3-rpi.gpio"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory", "python3-pigpio (and a running pigpiod)"),
    "native": ("gpiozero.pins.native", "NativeFactory", "nothing extra (but a Pi)"),
}


def make_pin_factory(name: str):
    """A new gpiozero pin factory; the caller owns it and closes it.

    Raises:
        HardwareUnavailable: the factory cannot load here (no Pi, library missing, no access).
    """
    if name == "mock":
        return MockFactory(pin_class=MockPWMPin)
    if name not in _FACTORIES:
        raise HardwareUnavailable(f"unknown pin factory {name!r}; one of mock, {', '.join(_FACTORIES)}")
    module, cls, needs = _FACTORIES[name]
    try:
        return getattr(importlib.import_module(module), cls)()
    except Exception as exc:  # ImportError, lgpio.error, PinUnknownPi, PermissionError...
        raise HardwareUnavailable(
            f"cannot load the {name!r} GPIO pin factory ({type(exc).__name__}: {exc}); on a Pi it needs "
            f"{needs} and membership of the gpio group; without a Pi set hardware.pin_factory: mock "
            f"or hardware.enabled: false") from exc

#: BCM GPIO number -> physical pin on the 40-pin header (all Pi models since the B+, Pi 4, Pi 5).
BCM_TO_PHYSICAL = {2: 3, 3: 5, 4: 7, 14: 8, 15: 10, 17: 11, 18: 12, 27: 13, 22: 15, 23: 16, 24: 18, 10: 19,
                   9: 21, 25: 22, 11: 23, 8: 24, 7: 26, 0: 27, 1: 28, 5: 29, 6: 31, 12: 32, 13: 33, 19: 35,
                   16: 36, 26: 37, 20: 38, 21: 40}


def describe_pin(bcm: int) -> str:
    """``BCM 17 (pin 11)``: both numbers, since installers count header pins."""
    return f"BCM {bcm} (pin {BCM_TO_PHYSICAL[bcm]})"


class Devices:
    """The gpiozero devices one owner opened on one pin factory; closed in reverse, with the factory if owned.

    A device that cannot be opened is not an error here: its reason is kept in `faults`
    (staff see it; the player runs on without that device).
    """

    def __init__(self, factory, *, owns_factory: bool) -> None:
        self.factory = factory
        self._owns_factory = owns_factory
        self._devices: list = []
        self.faults: list[str] = []

    def open(self, what: str, cls: type, *pins: int, **kwargs: object):
        """`cls(*pins, **kwargs)` on this factory, or None (the failure noted in `faults` as `what`)."""
        try:
            device = cls(*pins, pin_factory=self.factory, **kwargs)
        except Exception as exc:  # GPIOPinInUse, PinInvalidPin, lgpio/permission errors...
            self.faults.append(f"{what}: {type(exc).__name__}: {exc}")
            return None
        self._devices.append(device)
        return device

    def open_contact(self, what: str, pin: int, on_edge: Callable[[bool], None]):
        """A button wired from `pin` to ground (pull-up, active low), its edges sent to
        ``on_edge(pressed)`` on gpiozero's thread; None if it cannot be opened (see `open`).

        A plain `DigitalInputDevice`, not a gpiozero `Button`, and no ``bounce_time``: the pure
        gesture machines time holds and chatter themselves (Button's hold thread would only cost
        a thread and a slow close; gpiozero's debounce drops edges).
        """
        device = self.open(what, DigitalInputDevice, pin, pull_up=True, bounce_time=None)
        if device is not None:
            device.when_activated = lambda: on_edge(True)
            device.when_deactivated = lambda: on_edge(False)
        return device

    def close(self) -> None:
        devices, self._devices = self._devices, []
        for device in reversed(devices):
            try:
                device.close()
            except Exception:
                log.exception("closing %r", device)
        if self._owns_factory:
            self.factory.close()


def open_volume_inputs(pins: Devices, hw: HardwareConfig, volume: VolumeInputs, post: Callable[..., None]) -> None:
    """Open the optional rotary encoder and volume buttons `hw` names; each button joins `volume`.

    Their edges go to `post` on gpiozero's thread: ``post("detent", +1 | -1)`` per knob click,
    ``post("key", +1 | -1, pressed)`` per button edge. A button down at start (held, or stuck)
    is ignored until released. One that cannot be opened is noted in `pins.faults`.
    """
    if hw.encoder_pins:
        a, b = hw.encoder_pins
        encoder = pins.open(f"rotary encoder on BCM {a}, {b}", RotaryEncoder, a, b, max_steps=0)
        if encoder is not None:
            encoder.when_rotated_clockwise = lambda: post("detent", 1)
            encoder.when_rotated_counter_clockwise = lambda: post("detent", -1)
    for direction, pin in ((1, hw.volume_up_pin), (-1, hw.volume_down_pin)):
        if pin is None:
            continue
        key = pins.open_contact(f"volume {'up' if direction > 0 else 'down'} button on BCM {pin}", pin,
                                lambda pressed, d=direction: post("key", d, pressed))
        if key is not None:
            if key.is_active:
                log.warning("bedside volume button on BCM %d is down at start: ignored until released", pin)
            volume.add_key(direction, held_at_start=key.is_active)
