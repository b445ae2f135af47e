"""The master level's story, on its own: start low, rise slowly, staff steps within the cap (pure)."""

from __future__ import annotations

import math

import pytest

from player.config import load_config
from player.core.levels import MasterLevel


def level(**volume) -> MasterLevel:
    cfg = load_config({"volume": {"max_db": -6, "start_db": -20, "default_db": -12, "rise_s": 60, **volume}})
    return MasterLevel(cfg.volume, cfg.volume.max_db)


def test_a_session_starts_low_and_rises_to_its_level_only_after_the_start_fade() -> None:
    m = level()
    m.begin(100.0)
    assert m.value(100.0) == -20.0 and m.target_db == -12.0 and m.rise_pending
    assert m.value(200.0) == -20.0                     # no rise until told the fade has ended
    m.rise(200.0)
    assert m.value(230.0) == pytest.approx(-16.0) and m.value(260.0) == -12.0
    m.rise(300.0)                                      # once only
    assert m.value(300.0) == -12.0


def test_a_target_below_the_start_level_starts_there() -> None:
    m = level()
    m.begin(0.0, target_db=-30.0)
    assert m.value(0.0) == -30.0 and not m.rise_pending


def test_the_cap_holds_whatever_staff_ask() -> None:
    m = level()
    m.begin(0.0)
    for ask in (0.0, 12.0, math.inf, 1e300):
        assert m.set(0.0, ask) <= -6.0
    assert m.set(0.0, math.nan) == m.target_db
    assert max(m.step(1.0, 6.0) for _ in range(10)) == -6.0
    assert m.set(2.0, -200.0) == -60.0                 # and never below the floor


def test_steps_during_the_rise_start_from_what_is_heard_then_add_up() -> None:
    m = level()
    m.begin(0.0)
    m.rise(10.0)
    assert m.step(40.0, 3.0) == pytest.approx(-13.0)   # heard -16 then, not the target -12
    assert m.step(40.0, 3.0) == pytest.approx(-10.0)   # a held button: steps add up
    assert not m.rise_pending and m.value(40.3) == pytest.approx(-10.0)


def test_every_session_begins_again_at_its_start_level() -> None:
    m = level()
    m.begin(0.0)
    m.set(1.0, -6.0)
    m.begin(100.0)                                     # the next patient
    assert m.value(100.0) == -20.0 and m.target_db == -12.0
