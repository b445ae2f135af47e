"""The infusion as staff record it (``session-player infusion start|end``, the page's buttons). Pure.

The start and the end are the clock staff work by: checkpoints with ``after: infusion_start``
or ``after: infusion_end`` count from them (player/core/checkpoints.py keeps the anchors and
saves them, so a restart keeps them), repeats ``until: infusion_end`` stop at the end, and a
phase with ``until: infusion_end + 60m`` lasts at least until then (player/core/anchored_phase.py).
What makes no sense is refused before anything changes: a second start, an end before a
start, a second end. Nothing here is ever audible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.core import anchored_phase
from player.core.controls import Infusion
from player.durations import format_duration
from player.errors import SessionRefused

if TYPE_CHECKING:
    from player.core.running import Running
    from player.core.session import Moment, SessionMachine

START, END = "infusion_start", "infusion_end"
NOT_STARTED, RUNNING, ENDED = "not_started", "running", "ended"


def infusion(m: SessionMachine, c: Infusion, when: Moment) -> None:
    """Record the infusion's start or end at session time `when.at` (refused when it makes no sense)."""
    s = m.session
    assert s is not None, "the table runs this only while a session runs"
    anchors = s.checkpoints.anchors
    if c.event == "start":
        if START in anchors:
            raise SessionRefused(f"the infusion already started at {format_duration(anchors[START])}"
                                 + (" and ended" if END in anchors else "; record its end with: infusion end"))
        s.checkpoints.anchor(START, when.at)
        m.record("infusion_started", when.at, when.source)
        return
    if START not in anchors:
        raise SessionRefused("cannot end the infusion: its start was not recorded; record the start first "
                             "(infusion start)")
    if END in anchors:
        raise SessionRefused(f"the infusion already ended at {format_duration(anchors[END])}")
    s.checkpoints.anchor(END, when.at)
    m.record("infusion_ended", when.at, when.source, duration_s=round(when.at - anchors[START], 3))
    anchored_phase.hold(m, when.at)


def infusion_status(s: Running | None) -> dict:
    """The status's ``infusion``: ``{"state", "started_s", "ended_s", "until"}``.

    state: not_started, running or ended; until: the phase lasting until the infusion's end
    plus a margin, or None (player/core/anchored_phase.py `until_status`).
    """
    anchors = {} if s is None else s.checkpoints.anchors
    state = ENDED if END in anchors else RUNNING if START in anchors else NOT_STARTED
    return {"state": state, "started_s": anchors.get(START), "ended_s": anchors.get(END),
            "until": None if s is None else anchored_phase.until_status(s)}
