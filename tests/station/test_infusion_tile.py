"""The infusion line of a chair's tile, from the chair's status alone (the station trusts no chair)."""

from __future__ import annotations

import json

import pytest

from player.station.board import Board
from player.station.infusion_tile import infusion_tile

UNTIL = {"phase": "recovery", "margin_s": 3600.0, "anchored": True, "earliest_end_s": 6600.0}


def chair(**infusion: object) -> dict:
    """A playing chair's status with this ``infusion``."""
    return {"state": "playing", "infusion": infusion}


@pytest.mark.parametrize(("status", "tile"), [
    (chair(state="not_started", started_s=None, ended_s=None, until=None),
     {"state": "not_started", "text": "Infusion not started"}),
    (chair(state="running", started_s=600.0, ended_s=None, until=None),
     {"state": "running", "text": "Infusion running since 10:00"}),
    (chair(state="ended", started_s=600.0, ended_s=3000.0, until=UNTIL),
     {"state": "ended", "text": "Infusion ended at 50:00 (40:00); recovery until at least 1:50:00"}),
    (chair(state="ended", started_s=600.0, ended_s=3000.0, until={**UNTIL, "anchored": False}),
     {"state": "ended", "text": "Infusion ended at 50:00 (40:00)"}),
])
def test_what_the_tile_says(status: dict, tile: dict) -> None:
    assert infusion_tile(status) == tile


@pytest.mark.parametrize("status", [
    {"state": "idle", "infusion": {"state": "running", "started_s": 1.0}},     # no session: nothing to say
    {"state": "playing"},                                                        # an older chair
    {"state": "playing", "infusion": "running"},
    {"state": "playing", "infusion": {"state": "<script>"}},
])
def test_nothing_for_a_chair_without_a_usable_infusion(status: dict) -> None:
    assert infusion_tile(status) is None


def test_odd_numbers_and_names_never_reach_the_text() -> None:
    odd = chair(state="ended", started_s=float("nan"), ended_s=1e400, until={**UNTIL, "phase": "x\ny"})
    assert infusion_tile(odd) == {"state": "ended", "text": "Infusion not started"}
    hostile = chair(state="ended", started_s=1.0, ended_s=2.0, until={**UNTIL, "phase": "<b>" * 40})
    assert infusion_tile(hostile)["text"] == "Infusion ended at 0:02 (0:01)"


def test_the_board_tile_carries_it() -> None:
    board = Board("session-player")
    status = {**chair(state="running", started_s=60.0, ended_s=None, until=None), "room": "Room 3",
              "state": "paused", "faults": []}
    board.receive("session-player/room-3/status", json.dumps(status).encode(), 0.0)
    (view,) = board.views(0.0)
    assert view["infusion"] == {"state": "running", "text": "Infusion running since 1:00"}
