"""Pure, clock-injected volume inputs: button edges and knob detents in, one dB change out.

The bedside worker sums every volume input of one batch into a single relative request, so a
fast knob turn is one ramped change, not a burst of them. No threads, no gpiozero, no clock
reads: each edge carries the time it was seen, and `tick(now)` drives auto-repeat (`RepeatKey`).
"""

from __future__ import annotations

from player.hardware.gestures import RepeatKey

#: The largest single volume change the bedside ever asks for (the engine's limit is 24 dB).
MAX_VOLUME_STEP_DB = 12.0


class VolumeInputs:
    """The optional volume up/down buttons and rotary encoder of one bedside.

    Args:
        step_db: dB per button step (``volume.step_db``).
        encoder_step_db: dB per knob detent (``hardware.encoder_step_db``).
        repeat_s, bounce_s: the buttons' auto-repeat period and contact chatter window.
    """

    def __init__(self, step_db: float, encoder_step_db: float, repeat_s: float, bounce_s: float) -> None:
        self.step_db = step_db
        self.encoder_step_db = encoder_step_db
        self._repeat_s = repeat_s
        self._bounce_s = bounce_s
        self._keys: dict[int, RepeatKey] = {}

    def __repr__(self) -> str:
        return f"<VolumeInputs keys={sorted(self._keys)}>"

    def add_key(self, direction: int, *, held_at_start: bool = False) -> None:
        """A volume button: `direction` +1 (up) or -1 (down); one held at start is ignored until released."""
        self._keys[direction] = RepeatKey(self._repeat_s, self._bounce_s, held_at_start=held_at_start)

    def key(self, direction: int, pressed: bool, at: float) -> float:
        """A button edge at `at`: the dB change it asks for (0 for a release or chatter)."""
        key = self._keys[direction]
        steps = key.press(at) if pressed else key.release(at)
        return direction * len(steps) * self.step_db

    def detent(self, direction: int) -> float:
        """One knob click: +1 clockwise, -1 counter-clockwise."""
        return direction * self.encoder_step_db

    def tick(self, now: float) -> float:
        """Time moves on: the dB change of auto-repeats now due."""
        return sum(direction * len(key.tick(now)) * self.step_db for direction, key in self._keys.items())

    def deadlines(self) -> list[float]:
        """When held buttons next repeat (the worker must wake then)."""
        return [d for d in (key.next_deadline() for key in self._keys.values()) if d is not None]


def bounded_step(delta_db: float, level: object, cap: object) -> float:
    """The change to ask for: at most `MAX_VOLUME_STEP_DB` either way and, going up, no further than
    the cap as the engine reports it (`level` and `cap` are the status's numbers, or None/garbage
    when it cannot tell: then only the step limit applies). 0 or less going up means: at the cap.
    """
    delta_db = max(-MAX_VOLUME_STEP_DB, min(MAX_VOLUME_STEP_DB, delta_db))
    if delta_db > 0 and isinstance(level, (int, float)) and isinstance(cap, (int, float)):
        delta_db = min(delta_db, cap - level)
    return delta_db
