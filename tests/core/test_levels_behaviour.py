"""The master level, by what the patient hears: before any session it rests at the default level
with nothing armed, and a staff step during the start fade starts from what is heard."""

from __future__ import annotations

import pytest

from player.config import load_config
from player.core.levels import MasterLevel


def level(cap_db: float = -6.0, **volume) -> MasterLevel:
    cfg = load_config({"volume": {"max_db": -6, "start_db": -20, "default_db": -12, "rise_s": 60, **volume}})
    return MasterLevel(cfg.volume, cap_db)


def test_before_any_session_the_level_rests_at_the_default_with_no_rise_armed() -> None:
    m = level()
    assert m.value(0.0) == -12.0 and m.value(1e6) == -12.0 and m.target_db == -12.0
    assert not m.rise_pending and m.done(0.0)
    m.rise(5.0)
    assert m.value(5.0) == -12.0


def test_a_default_above_a_lower_cap_rests_at_the_cap() -> None:
    assert level(cap_db=-15.0).value(0.0) == -15.0


def test_a_step_during_the_start_fade_starts_from_the_start_level_heard() -> None:
    m = level()
    m.begin(10.0)
    assert m.step(20.0, 3.0) == pytest.approx(-17.0)      # heard -20, not the target -12
    assert not m.rise_pending                             # staff took over: no rise afterwards
    assert m.value(20.3) == pytest.approx(-17.0)


def test_after_a_new_session_begins_steps_start_from_what_is_heard_again() -> None:
    m = level()
    m.begin(0.0)
    m.set(1.0, -9.0)                                      # staff's level in the last session
    m.begin(100.0)
    assert m.step(101.0, -3.0) == pytest.approx(-23.0)    # from the new start level, not -9


def test_a_staff_ramp_is_done_after_its_300_ms() -> None:
    m = level()
    m.set(10.0, -9.0)
    assert not m.done(10.1) and m.done(10.3)


def test_the_level_names_its_target_and_a_pending_rise_in_logs() -> None:
    m = level()
    assert repr(m) == "<MasterLevel target -12.0 dB>"
    m.begin(0.0)
    assert repr(m) == "<MasterLevel target -12.0 dB rise pending>"
