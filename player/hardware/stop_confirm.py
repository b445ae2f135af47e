"""Pure, clock-injected confirmation window for ending a session from the bedside button.

The button lies within reach of a patient who may be dissociated and grip it, so ending the
session takes two deliberate gestures (``hardware.button_stop: confirm``): a long press only
*asks* and opens a window of `stop_confirm_s`; the next decided gesture answers it. A double
press within the window confirms; any other gesture, or the window running out, cancels.
With ``button_stop: off`` (the shipped default) asking is refused and no window ever opens.

No threads, no clock reads: every call carries its own timestamp, like `gestures.py`, so the
window's edges are tested exactly.
"""

from __future__ import annotations

from player.hardware.gestures import DOUBLE

CONFIRMED = "confirmed"
CANCELLED = "cancelled"


class StopConfirm:
    """The long-press-then-double-press window of one bedside button.

    Args:
        enabled: True for ``button_stop: confirm``; False (``off``) refuses every request.
        window_s: how long after the long press a double press still confirms.
    """

    def __init__(self, enabled: bool, window_s: float) -> None:
        self.enabled = enabled
        self.window_s = window_s
        self._until: float | None = None

    def __repr__(self) -> str:
        return f"<StopConfirm enabled={self.enabled} pending_until={self._until!r}>"

    @property
    def pending(self) -> bool:
        """True while a long press waits for its confirming double press."""
        return self._until is not None

    def next_deadline(self) -> float | None:
        """When the open window runs out (the worker must wake then), or None."""
        return self._until

    def ask(self, at: float) -> bool:
        """A long press at `at`: open the window; False (nothing opened) when ending is off."""
        if not self.enabled:
            return False
        self._until = at + self.window_s
        return True

    def expire(self, now: float) -> bool:
        """Close the window if it has run out by `now`; True exactly once, when it does."""
        if self._until is not None and now >= self._until:
            self._until = None
            return True
        return False

    def answer(self, gesture: str) -> str | None:
        """The first decided gesture after the long press: `CONFIRMED` for a double press,
        `CANCELLED` for anything else (the window closes either way); None when no window is open.
        """
        if self._until is None:
            return None
        self._until = None
        return CONFIRMED if gesture == DOUBLE else CANCELLED
