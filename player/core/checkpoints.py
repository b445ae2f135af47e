"""The running session's checkpoints: which are upcoming, due, done or missed. Pure.

A checkpoint (player/playlist/checkpoint_spec.py) is due from its time on the session clock
(pauses included: they follow the patient, not the music) until staff acknowledge it, or
until `grace_s` has passed: then it is missed, and stays missed. Only a due checkpoint can
be acknowledged: by ``ack`` (the oldest due one, or the oldest whose text starts with the
words given) or by an observation whose label its text starts with (``observe bp`` and
"BP at 40 min"). States follow from the time and the acknowledgements, so a status is
right between two ticks; the records (due, missed) are announced once each, on a tick,
at the exact time they happened. Nothing here is ever audible: the rules never turn a
checkpoint into an effect on the mixer.

Anchored checkpoints (``after: infusion_start``) count from the time staff recorded that
event (`anchors`, session time): before it they are upcoming with no time, never due. A
repeat ending at an event (``until: infusion_end``) has none due after that event; those
are left out of the status (they will never happen). The anchors are saved with the book,
so a restart keeps them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from player.playlist.checkpoint_spec import ANCHORS
from player.playlist.model import Checkpoint

UPCOMING, DUE, DONE, MISSED = "upcoming", "due", "done", "missed"
_ANNOUNCED = {DUE: 1, MISSED: 2}


@dataclass(frozen=True)
class Done:
    """An acknowledgement: when, by whom (the record's source) and how (``ack`` or an observation kind)."""

    at_s: float
    source: str
    by: str


@dataclass
class CheckpointBook:
    """The checkpoints of one session and what happened to each (engine thread only)."""

    checkpoints: tuple[Checkpoint, ...] = ()
    grace_s: float = 300.0
    done: dict[int, Done] = field(default_factory=dict)
    announced: dict[int, int] = field(default_factory=dict)   # 1: due recorded, 2: missed recorded
    anchors: dict[str, float] = field(default_factory=dict)   # event -> session time (infusion_start, ...)

    def due_at(self, i: int) -> float | None:
        """Session time checkpoint `i` is due; None while the event it counts from has not happened."""
        cp = self.checkpoints[i]
        if cp.after is None:
            return cp.at_s
        anchor = self.anchors.get(cp.after)
        return None if anchor is None else anchor + cp.at_s

    def cancelled(self, i: int) -> bool:
        """A repeat due after the event that ends it (``until: infusion_end``): it never happens."""
        cp, when = self.checkpoints[i], self.due_at(i)
        stop = self.anchors.get(cp.stop) if cp.stop else None
        return stop is not None and i not in self.done and (when is None or when > stop + 1e-9)

    def state(self, i: int, at_s: float) -> str:
        if i in self.done:
            return DONE
        when = self.due_at(i)
        if when is None or at_s < when or self.cancelled(i):
            return UPCOMING
        return DUE if at_s < when + self.grace_s else MISSED

    def due(self, at_s: float) -> list[int]:
        """Indices of the due checkpoints, oldest first."""
        due = [i for i in range(len(self.checkpoints)) if self.state(i, at_s) == DUE]
        return sorted(due, key=lambda i: (self.due_at(i), i))

    def anchor(self, event: str, at_s: float) -> None:
        """The event anchored checkpoints count from happened at session time `at_s`."""
        self.anchors[event] = at_s

    def pick(self, at_s: float, prefix: str | None) -> int | None:
        """The oldest due checkpoint (whose text starts with `prefix`, case-insensitive), or None."""
        wanted = (prefix or "").strip().casefold()
        return next((i for i in self.due(at_s) if self.checkpoints[i].text.casefold().startswith(wanted)), None)

    def acknowledge(self, i: int, at_s: float, source: str, by: str) -> dict:
        """Mark checkpoint `i` done; return the ``checkpoint_acknowledged`` record's details."""
        when = self.due_at(i)
        assert when is not None, "only a due checkpoint is acknowledged"
        self.done[i] = Done(at_s, source, by)
        details: dict = {**self._details(i), "late_s": round(max(0.0, at_s - when), 3)}
        if by != "ack":
            details["observation"] = by
        return details

    def advance(self, at_s: float) -> list[tuple[str, float, dict]]:
        """Due and missed moments reached by `at_s` and not yet recorded: (record type, time, details)."""
        out = []
        for i in range(len(self.checkpoints)):
            state = self.state(i, at_s)
            level = self.announced.get(i, 0)
            when = self.due_at(i)
            if state in (DUE, MISSED) and level < 1:
                out.append(("checkpoint_due", when, self._details(i)))
            if state == MISSED and level < 2:
                out.append(("checkpoint_missed", when + self.grace_s, {**self._details(i), "grace_s": self.grace_s}))
            if state in _ANNOUNCED:
                self.announced[i] = max(level, _ANNOUNCED[state])
        return sorted(out, key=lambda item: item[1])

    def _details(self, i: int) -> dict:
        """A record's details: ``at_s`` on the session clock; an anchored one says its event and offset."""
        cp = self.checkpoints[i]
        anchored = {"after": cp.after, "offset_s": cp.at_s} if cp.after else {}
        return {"index": i, "text": cp.text, "at_s": self.due_at(i), **anchored}

    def next_change_s(self, at_s: float) -> float | None:
        """Seconds until a checkpoint becomes due or missed (None when nothing is left to happen)."""
        times = []
        for i in range(len(self.checkpoints)):
            state, when = self.state(i, at_s), self.due_at(i)
            if when is None or self.cancelled(i):
                continue
            if state == UPCOMING:
                times.append(when - at_s)
            elif state == DUE:
                times.append(when + self.grace_s - at_s)
        return max(0.0, min(times)) if times else None

    def snapshot(self, at_s: float) -> list[dict]:
        """For the status: ``[{"at_s", "text", "state", "done_at_s"}]`` in time order.

        An anchored one adds ``after`` and ``offset_s``; before its event its ``at_s`` is None
        and only the first of its repeats is listed. Repeats cancelled by their event are left out.
        """
        rows = []
        for i, cp in enumerate(self.checkpoints):
            when = self.due_at(i)
            if self.cancelled(i) or (when is None and cp.nth > 0):
                continue
            row = {"at_s": when, "text": cp.text, "state": self.state(i, at_s),
                   "done_at_s": self.done[i].at_s if i in self.done else None}
            if cp.after:
                row.update(after=cp.after, offset_s=cp.at_s)
            rows.append(row)
        return sorted(rows, key=lambda r: (r["at_s"] is None, r["at_s"] or 0.0))

    # --- saved across a restart (player/core/resume.py) ------------------------------------
    def to_dict(self) -> dict:
        return {"done": [[i, round(d.at_s, 3), d.source, d.by] for i, d in sorted(self.done.items())],
                "announced": [[i, level] for i, level in sorted(self.announced.items())],
                **({"anchors": {k: round(v, 3) for k, v in sorted(self.anchors.items())}} if self.anchors else {})}

    @classmethod
    def from_dict(cls, checkpoints: tuple[Checkpoint, ...], grace_s: float, data: object) -> CheckpointBook:
        """The book as saved; anything odd or not matching the playlist's checkpoints is left out."""
        book = cls(checkpoints, grace_s)
        if not isinstance(data, dict):
            return book
        for row in data.get("done") or []:
            if (isinstance(row, list) and len(row) == 4 and _index(row[0], checkpoints)
                    and isinstance(row[1], (int, float)) and all(isinstance(x, str) for x in row[2:])):
                book.done[row[0]] = Done(float(row[1]), row[2], row[3])
        for row in data.get("announced") or []:
            if isinstance(row, list) and len(row) == 2 and _index(row[0], checkpoints) and row[1] in (1, 2):
                book.announced[row[0]] = row[1]
        anchors = data.get("anchors")
        for event in ANCHORS:
            value = anchors.get(event) if isinstance(anchors, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
                book.anchors[event] = float(value)
        return book


def _index(value: object, checkpoints: tuple[Checkpoint, ...]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(checkpoints)
