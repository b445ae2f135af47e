"""The status LED: pure patterns per session state, and one thread that plays them.

Patterns are data (`(level, seconds)` steps), so each one is tested exactly without a
clock. The driver is our own small thread rather than gpiozero's ``pulse()``/``blink()``
because those always rise to full brightness; a dark treatment room needs every pattern
scaled to `hardware.led_brightness`.

Priority: a hold signal (button held towards a stop) > a one-shot flash
(acknowledgement, refusal) > the base pattern of the session state.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass

log = logging.getLogger(__name__)

FRAME_S = 0.05


@dataclass(frozen=True)
class Pattern:
    """Steps of `(level 0..1, seconds)`; seconds None = hold until the pattern changes."""

    name: str
    steps: tuple[tuple[float, float | None], ...]
    repeat: bool = True


STATE_PATTERNS = {"idle": "breathe", "ready": "breathe", "ended": "breathe", "playing": "dim",
                  "paused": "slow_blink", "faulted": "double_blink"}


def make_pattern(name: str, brightness: float) -> Pattern:
    """The named pattern scaled to `brightness` (the configured maximum for a dark room).

    ``breathe`` (idle): 3 s rise and fall; ``dim`` (playing): a quarter of brightness, steady;
    ``slow_blink`` (paused): 0.5 s on every 2 s; ``double_blink`` (fault): two 0.15 s blinks
    every 1.5 s; ``ack``: one 0.3 s flash at three times brightness (capped at full);
    ``refused``: one double blink; ``hold_warning``: 5 Hz blink; ``hold_armed``: steady bright;
    ``checkpoint_due`` (a checkpoint waits for staff): three quick blinks every 3 s over the
    playing glow; ``off``.
    """
    b = brightness
    bright = min(1.0, 3 * b)
    if name == "breathe":
        n = int(1.5 / FRAME_S)
        rise = [b * (i / n) ** 2 for i in range(n + 1)]
        return Pattern(name, tuple((level, FRAME_S) for level in rise + rise[-2:0:-1]))
    if name == "dim":
        return Pattern(name, ((b / 4, None),))
    if name == "slow_blink":
        return Pattern(name, ((b, 0.5), (0.0, 1.5)))
    if name in ("double_blink", "refused"):
        return Pattern(name, ((b, 0.15), (0.0, 0.15), (b, 0.15), (0.0, 1.05 if name == "double_blink" else 0.3)),
                       repeat=name == "double_blink")
    if name == "checkpoint_due":
        return Pattern(name, ((b, 0.12), (b / 4, 0.12), (b, 0.12), (b / 4, 0.12), (b, 0.12), (b / 4, 2.4)))
    if name == "ack":
        return Pattern(name, ((bright, 0.3), (0.0, 0.2)), repeat=False)
    if name == "hold_warning":
        return Pattern(name, ((bright, 0.1), (0.0, 0.1)))
    if name == "hold_armed":
        return Pattern(name, ((bright, None),))
    if name == "off":
        return Pattern(name, ((0.0, None),))
    raise ValueError(f"unknown LED pattern {name!r}")


def state_pattern_name(status: dict, *, fault: bool = False) -> str:
    """The base pattern for a status snapshot; any current fault shows as a double blink, then a due checkpoint."""
    if fault or status.get("faults"):
        return "double_blink"
    if any(c.get("state") == "due" for c in status.get("checkpoints") or [] if isinstance(c, dict)):
        return "checkpoint_due"
    return STATE_PATTERNS.get(status.get("state") or "idle", "double_blink")


class LedDriver:
    """Plays patterns on a PWMLED (or on nothing, when the LED is unavailable) on its own thread.

    `history` of shown pattern names (last 256) and `wait_for_pattern` exist for hw-test
    output and for tests that wait with an Event-like condition instead of sleeping.
    """

    def __init__(self, led: object | None, brightness: float) -> None:
        self._led = led
        self.brightness = brightness
        self._cond = threading.Condition()
        self._base = make_pattern("off", brightness)
        self._flash: Pattern | None = None
        self._hold: Pattern | None = None
        self._version = 0
        self._stopping = False
        self._history: deque[str] = deque(maxlen=256)
        self._shown = 0
        self._thread = threading.Thread(target=self._run, name="bedside-led", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"<LedDriver {self.current}>"

    @property
    def current(self) -> str:
        with self._cond:
            return self._history[-1] if self._history else "off"

    @property
    def shown_count(self) -> int:
        """How many pattern changes have been shown: pass as `after` to `wait_for_pattern`."""
        with self._cond:
            return self._shown

    def show(self, name: str) -> None:
        """Set the base pattern (from the session state)."""
        self._change(base=make_pattern(name, self.brightness))

    def flash(self, name: str) -> None:
        """Play a one-shot pattern (``ack``, ``refused``), then return to the base pattern."""
        self._change(flash=make_pattern(name, self.brightness))

    def hold(self, name: str | None) -> None:
        """Override everything with a hold signal, or end it (None)."""
        self._change(hold=None if name is None else make_pattern(name, self.brightness))

    def wait_for_pattern(self, name: str, timeout: float, *, after: int = 0) -> bool:
        """Wait until `name` has been shown as the `after`-th change or later."""
        def seen() -> bool:
            first = self._shown - len(self._history)
            return any(n == name for i, n in enumerate(self._history) if first + i >= after)
        with self._cond:
            return self._cond.wait_for(seen, timeout)

    def close(self) -> None:
        """Stop the thread and turn the LED off; safe to call twice."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(5)

    _KEEP = object()

    def _change(self, base: Pattern | object = _KEEP, flash: Pattern | None | object = _KEEP,
                hold: Pattern | None | object = _KEEP) -> None:
        with self._cond:
            before = (self._base, self._flash, self._hold)
            if base is not self._KEEP and base != self._base:  # same pattern: keep its phase (no restart)
                self._base = base  # type: ignore[assignment]
            if flash is not self._KEEP:
                self._flash = flash  # type: ignore[assignment]
            if hold is not self._KEEP and hold != self._hold:
                self._hold = hold  # type: ignore[assignment]
            if (self._base, self._flash, self._hold) != before or flash is not self._KEEP:
                self._version += 1
                self._cond.notify_all()

    def _set(self, level: float) -> None:
        if self._led is None:
            return
        try:
            self._led.value = level  # type: ignore[attr-defined]
        except Exception as exc:  # a closed or failing pin must not kill the LED thread
            log.debug("LED write failed: %s", exc)

    def _run(self) -> None:
        with self._cond:
            while not self._stopping:
                version = self._version
                pattern = self._hold or self._flash or self._base
                if not self._history or self._history[-1] != pattern.name:
                    self._history.append(pattern.name)
                    self._shown += 1
                    self._cond.notify_all()
                interrupted = False
                for level, seconds in pattern.steps:
                    self._set(level)
                    if self._cond.wait_for(lambda v=version: self._version != v or self._stopping, seconds):
                        interrupted = True
                        break
                if not interrupted and not pattern.repeat and self._flash is pattern:
                    self._flash = None
                    self._version += 1
            self._set(0.0)
