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
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def state(self, i: int, at_s: float) -> str:
        if i in self.done:
            return DONE
        cp = self.checkpoints[i]
        if at_s < cp.at_s:
            return UPCOMING
        return DUE if at_s < cp.at_s + self.grace_s else MISSED

    def due(self, at_s: float) -> list[int]:
        """Indices of the due checkpoints, oldest first."""
        return [i for i in range(len(self.checkpoints)) if self.state(i, at_s) == DUE]

    def pick(self, at_s: float, prefix: str | None) -> int | None:
        """The oldest due checkpoint (whose text starts with `prefix`, case-insensitive), or None."""
        wanted = (prefix or "").strip().casefold()
        return next((i for i in self.due(at_s) if self.checkpoints[i].text.casefold().startswith(wanted)), None)

    def acknowledge(self, i: int, at_s: float, source: str, by: str) -> dict:
        """Mark checkpoint `i` done; return the ``checkpoint_acknowledged`` record's details."""
        cp = self.checkpoints[i]
        self.done[i] = Done(at_s, source, by)
        details: dict = {"index": i, "text": cp.text, "at_s": cp.at_s, "late_s": round(max(0.0, at_s - cp.at_s), 3)}
        if by != "ack":
            details["observation"] = by
        return details

    def advance(self, at_s: float) -> list[tuple[str, float, dict]]:
        """Due and missed moments reached by `at_s` and not yet recorded: (record type, time, details)."""
        out = []
        for i, cp in enumerate(self.checkpoints):
            state = self.state(i, at_s)
            level = self.announced.get(i, 0)
            details = {"index": i, "text": cp.text, "at_s": cp.at_s}
            if state in (DUE, MISSED) and level < 1:
                out.append(("checkpoint_due", cp.at_s, details))
            if state == MISSED and level < 2:
                out.append(("checkpoint_missed", cp.at_s + self.grace_s, {**details, "grace_s": self.grace_s}))
            if state in _ANNOUNCED:
                self.announced[i] = max(level, _ANNOUNCED[state])
        return sorted(out, key=lambda item: item[1])

    def next_change_s(self, at_s: float) -> float | None:
        """Seconds until a checkpoint becomes due or missed (None when nothing is left to happen)."""
        times = []
        for i, cp in enumerate(self.checkpoints):
            state = self.state(i, at_s)
            if state == UPCOMING:
                times.append(cp.at_s - at_s)
            elif state == DUE:
                times.append(cp.at_s + self.grace_s - at_s)
        return max(0.0, min(times)) if times else None

    def snapshot(self, at_s: float) -> list[dict]:
        """For the status: ``[{"at_s", "text", "state", "done_at_s"}]`` in time order."""
        return [{"at_s": cp.at_s, "text": cp.text, "state": self.state(i, at_s),
                 "done_at_s": self.done[i].at_s if i in self.done else None}
                for i, cp in enumerate(self.checkpoints)]

    # --- saved across a restart (player/core/resume.py) ------------------------------------
    def to_dict(self) -> dict:
        return {"done": [[i, round(d.at_s, 3), d.source, d.by] for i, d in sorted(self.done.items())],
                "announced": [[i, level] for i, level in sorted(self.announced.items())]}

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
        return book


def _index(value: object, checkpoints: tuple[Checkpoint, ...]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(checkpoints)
