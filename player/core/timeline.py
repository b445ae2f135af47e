"""Phase timing as pure arithmetic on session time: no clock, no threads, no I/O.

Session time (``elapsed_s``) is monotonic seconds since the session started, pauses
included; it is what every event record carries. A phase ends at its planned length
plus its extensions plus the time the session was paused during it, so pausing extends
the plan and the phases after it move on by the same amount. Advancing ends the
current phase now. Times are exact sums of the inputs, so a simulated 4-hour session
lands every boundary on the millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class PhaseSpan:
    """A phase's place in time: planned from the playlist, as it actually went, and as now expected."""

    name: str
    planned_start_s: float
    planned_end_s: float
    actual_start_s: float | None = None
    actual_end_s: float | None = None
    expected_start_s: float | None = None
    expected_end_s: float | None = None


@dataclass(frozen=True)
class Timeline:
    """Where a running session is in its plan.

    Attributes:
        durations_s: each phase's planned length.
        names: each phase's name.
        index: the current phase.
        phase_start_s: session time the current phase started.
        phase_end_s: session time the current phase will end (moves with extend and pause).
        paused_at_s: session time a pause began, None when not paused.
        actual: (start, end) of phases already over, in order.
    """

    names: tuple[str, ...]
    durations_s: tuple[float, ...]
    index: int = 0
    phase_start_s: float = 0.0
    phase_end_s: float = 0.0
    paused_at_s: float | None = None
    actual: tuple[tuple[float, float], ...] = field(default=())

    @classmethod
    def start(cls, names: tuple[str, ...], durations_s: tuple[float, ...]) -> Timeline:
        if not names or len(names) != len(durations_s) or any(d <= 0 for d in durations_s):
            raise ValueError("a timeline needs at least one phase, each with a positive duration")
        return cls(tuple(names), tuple(float(d) for d in durations_s), 0, 0.0, float(durations_s[0]))

    @property
    def is_last(self) -> bool:
        return self.index == len(self.names) - 1

    @property
    def phase(self) -> str:
        return self.names[self.index]

    def planned(self) -> list[tuple[float, float]]:
        """The original plan: (start, end) of each phase, back to back."""
        out, t = [], 0.0
        for d in self.durations_s:
            out.append((t, t + d))
            t += d
        return out

    def projected_end_s(self, now_s: float) -> float:
        """When the session will end if nothing else changes (a pause in progress counts as time to add)."""
        paused = 0.0 if self.paused_at_s is None else max(0.0, now_s - self.paused_at_s)
        return self.phase_end_s + paused + sum(self.durations_s[self.index + 1:])

    def spans(self, now_s: float) -> list[PhaseSpan]:
        """Every phase with planned times, actual times so far, and the projection for the rest."""
        planned = self.planned()
        paused = 0.0 if self.paused_at_s is None else max(0.0, now_s - self.paused_at_s)
        out = []
        for i, name in enumerate(self.names):
            ps, pe = planned[i]
            if i < self.index:
                a, b = self.actual[i]
                out.append(PhaseSpan(name, ps, pe, a, b, a, b))
            elif i == self.index:
                out.append(PhaseSpan(name, ps, pe, self.phase_start_s, None, self.phase_start_s,
                                     self.phase_end_s + paused))
            else:
                start = self.phase_end_s + paused + sum(self.durations_s[self.index + 1:i])
                out.append(PhaseSpan(name, ps, pe, None, None, start, start + self.durations_s[i]))
        return out

    def due(self, now_s: float) -> bool:
        """The current phase's time is up (never while paused)."""
        return self.paused_at_s is None and now_s >= self.phase_end_s

    def next_phase(self, at_s: float) -> Timeline:
        """End the current phase at `at_s` and start the next one there."""
        if self.is_last:
            raise ValueError("already in the last phase")
        i = self.index + 1
        return replace(self, index=i, phase_start_s=at_s, phase_end_s=at_s + self.durations_s[i],
                       actual=self.actual + ((self.phase_start_s, at_s),))

    def extend(self, seconds: float) -> Timeline:
        if seconds <= 0:
            raise ValueError("an extension must be positive")
        return replace(self, phase_end_s=self.phase_end_s + seconds)

    def pause(self, at_s: float) -> Timeline:
        return self if self.paused_at_s is not None else replace(self, paused_at_s=at_s)

    def resume(self, at_s: float) -> tuple[Timeline, float]:
        """Resume; returns the new timeline and how long the pause lasted (added to the phase)."""
        if self.paused_at_s is None:
            return self, 0.0
        paused = max(0.0, at_s - self.paused_at_s)
        return replace(self, paused_at_s=None, phase_end_s=self.phase_end_s + paused), paused

    def to_dict(self) -> dict:
        return {"names": list(self.names), "durations_s": list(self.durations_s), "index": self.index,
                "phase_start_s": self.phase_start_s, "phase_end_s": self.phase_end_s,
                "paused_at_s": self.paused_at_s, "actual": [list(a) for a in self.actual]}

    @classmethod
    def from_dict(cls, d: dict) -> Timeline:
        t = cls(tuple(d["names"]), tuple(float(x) for x in d["durations_s"]), int(d["index"]),
                float(d["phase_start_s"]), float(d["phase_end_s"]),
                None if d.get("paused_at_s") is None else float(d["paused_at_s"]),
                tuple((float(a), float(b)) for a, b in d.get("actual", [])))
        if not 0 <= t.index < len(t.names) or len(t.names) != len(t.durations_s) or len(t.actual) != t.index:
            raise ValueError("saved timeline is inconsistent")
        return t
