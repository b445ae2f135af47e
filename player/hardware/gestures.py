"""Pure, clock-injected input state machines: button edges in, gestures out.

No threads, no gpiozero, no clock reads: every input carries its own timestamp (the
monotonic time the edge was seen on gpiozero's thread) and `tick(now)` moves time on, so
every timing edge is testable exactly and a slow engine never changes what a press meant.

Decisions (see hardware/README.md, "Gesture timing"):

* Gestures are decided on release. A release shorter than `hold_warn_s` waits
  `double_press_s` for a second press: none -> ``single``; a second press released before
  `hold_warn_s` -> ``double`` (decided at once, on that release).
* Held for `hold_warn_s` (1 s, or half of `long_press_s` if that is shorter) -> ``hold_warning``
  (LED fast blink); held for `long_press_s` -> ``hold_armed`` (LED steady bright); released
  after `long_press_s` -> ``long``; released between the two -> ``cancelled`` (nothing is
  done: letting go early is the way out of an accidental stop). A held second press becomes
  a hold and the first click is forgotten.
* Bounce (contact chatter) is handled here, not by gpiozero's ``bounce_time`` (which drops
  edges and can leave the button's state wrong or eat a fast double press): a press shorter
  than `bounce_s` is a glitch and is ignored; a press within `bounce_s` after a release
  continues the press that was released (or, if that release already decided a gesture, is
  ignored together with its release).
* A button already down when the machine starts (held at boot, or stuck) is ignored until
  it is first released.
"""

from __future__ import annotations

from dataclasses import dataclass

SINGLE = "single"
DOUBLE = "double"
LONG = "long"
CANCELLED = "cancelled"
HOLD_WARNING = "hold_warning"
HOLD_ARMED = "hold_armed"

#: Gestures that end a press sequence (the LED's hold signal ends with them).
DECISIONS = (SINGLE, DOUBLE, LONG, CANCELLED)

HOLD_WARN_MAX_S = 1.0


@dataclass(frozen=True)
class Timing:
    """Gesture timing in seconds (defaults are the config defaults)."""

    double_press_s: float = 0.4
    long_press_s: float = 2.0
    bounce_s: float = 0.02

    @property
    def hold_warn_s(self) -> float:
        """When the LED starts warning that a release will stop: 1 s, before `long_press_s`."""
        return min(HOLD_WARN_MAX_S, self.long_press_s / 2)


class GestureMachine:
    """Turns timestamped press/release edges of one button into gestures.

    States: ``idle``; ``down`` (a press, maybe the second of a pair); ``waiting`` (released
    once, the double-press window is open); ``ignoring`` (down since start, or chatter after
    a decided release: wait for the release).
    """

    def __init__(self, timing: Timing, *, held_at_start: bool = False) -> None:
        self.timing = timing
        self.state = "ignoring" if held_at_start else "idle"
        self._down_since = 0.0       # start of the current press
        self._second = False         # the current press is the second of a pair
        self._released_at = -1e18    # last release edge
        self._window_from = 0.0      # release that opened the double-press window
        self._warned = False
        self._armed = False
        self._decided_at_release = False
        self._now = -1e18

    def __repr__(self) -> str:
        return f"<GestureMachine {self.state}>"

    def next_deadline(self) -> float | None:
        """When `tick` has something to decide next, or None when only an edge can change things."""
        t = self.timing
        if self.state == "waiting":
            return self._window_from + t.double_press_s
        if self.state == "down":
            if not self._warned:
                return self._down_since + t.hold_warn_s
            if not self._armed:
                return self._down_since + t.long_press_s
        return None

    def tick(self, now: float) -> list[str]:
        """Decide whatever is due by `now`."""
        self._now = max(self._now, now)
        now = self._now
        t = self.timing
        out: list[str] = []
        if self.state == "waiting" and now >= self._window_from + t.double_press_s:
            self.state = "idle"
            out.append(SINGLE)
        if self.state == "down":
            if not self._warned and now >= self._down_since + t.hold_warn_s:
                self._warned = True
                out.append(HOLD_WARNING)
            if self._warned and not self._armed and now >= self._down_since + t.long_press_s:
                self._armed = True
                out.append(HOLD_ARMED)
        return out

    def press(self, at: float) -> list[str]:
        """A press edge seen at `at`."""
        out = self.tick(at)
        at = self._now
        chatter = at - self._released_at < self.timing.bounce_s
        if self.state == "idle":
            if chatter and self._decided_at_release:
                self.state = "ignoring"
            else:
                self._start_press(at, second=False)
        elif self.state == "waiting":
            if chatter:  # the release was a bounce: the first press goes on
                self.state = "down"
                self._second = False
            else:
                self._start_press(at, second=True)
        return out

    def release(self, at: float) -> list[str]:
        """A release edge seen at `at`."""
        out = self.tick(at)
        at = self._now
        t = self.timing
        decided = False
        if self.state == "ignoring":  # chatter on this release is ignored too
            self.state = "idle"
            decided = True
        elif self.state == "down":
            held = at - self._down_since
            if held < t.bounce_s:  # a glitch, not a press: back to where we were
                self.state = "waiting" if self._second else "idle"
                return out
            if held >= t.long_press_s:
                out.append(LONG)
                decided = True
            elif held >= t.hold_warn_s:
                out.append(CANCELLED)
                decided = True
            elif self._second:
                out.append(DOUBLE)
                decided = True
            else:
                self._window_from = at
            self.state = "idle" if decided else "waiting"
        else:
            return out
        self._released_at = at
        self._decided_at_release = decided
        return out

    def _start_press(self, at: float, *, second: bool) -> None:
        self.state = "down"
        self._down_since = at
        self._second = second
        self._warned = self._armed = False


class RepeatKey:
    """A volume button: one step on press, then auto-repeat while held.

    The first repeat comes after ``2 * repeat_s``, then one every `repeat_s`. If `tick`
    comes late (a busy worker) it emits at most one step and re-schedules from `now`, so a
    stall never turns into a burst. Chatter and held-at-start are handled as in
    `GestureMachine`: a press within `bounce_s` of a release continues the held press (no
    new step); a key down at start is ignored until released.
    """

    STEP = "step"

    def __init__(self, repeat_s: float, bounce_s: float, *, held_at_start: bool = False) -> None:
        self.repeat_s = repeat_s
        self.bounce_s = bounce_s
        self.state = "ignoring" if held_at_start else "up"
        self._next: float | None = None
        self._released_at = -1e18
        self._now = -1e18

    def __repr__(self) -> str:
        return f"<RepeatKey {self.state}>"

    def next_deadline(self) -> float | None:
        return self._next if self.state == "down" else None

    def tick(self, now: float) -> list[str]:
        self._now = max(self._now, now)
        if self.state == "down" and self._next is not None and self._now >= self._next:
            late = self._now >= self._next + self.repeat_s
            self._next = (self._now if late else self._next) + self.repeat_s
            return [self.STEP]
        return []

    def press(self, at: float) -> list[str]:
        out = self.tick(at)
        if self.state != "up":
            return out
        self.state = "down"
        if self._now - self._released_at < self.bounce_s:
            return out  # chatter: the previous press goes on, its repeat schedule too
        self._next = self._now + 2 * self.repeat_s
        return [*out, self.STEP]

    def release(self, at: float) -> list[str]:
        out = self.tick(at)
        if self.state in ("down", "ignoring"):
            self.state = "up"
            self._released_at = self._now
        return out
