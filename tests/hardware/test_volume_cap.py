"""Safety: no sequence of volume presses and knob turns makes the bedside ask for more than the cap.

The engine clamps every level to `volume.max_db` and ramps it; the bedside on top never sends an
absolute level and never asks for a step that would go beyond the cap as the engine reports it.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.control.fake import FakeController

from .test_bedside import turn

CAP_DB = -6.0


class CapCheckingController(FakeController):
    """Fails the test if any control could take the level above the cap."""

    def __init__(self) -> None:
        super().__init__(max_db=CAP_DB, volume_db=-12.0)
        self.violations: list[str] = []

    def submit(self, action, *, source, timeout_s=10.0, **args):
        if action == "volume":
            before = self.status()["volume_db"]
            if "level_db" in args:
                self.violations.append(f"absolute level sent: {args}")
            delta = args.get("delta_db", 0.0)
            if delta > 0 and before + delta > CAP_DB + 1e-9:
                self.violations.append(f"{before} + {delta} exceeds the cap")
            if abs(delta) > 12:
                self.violations.append(f"step too large: {delta}")
        snapshot = super().submit(action, source=source, timeout_s=timeout_s, **args)
        if snapshot["volume_db"] > CAP_DB + 1e-9:
            self.violations.append(f"level {snapshot['volume_db']} above the cap")
        return snapshot


# (kind, amount): ("turn", detents +/-), ("up"/"down", held seconds)
ops = st.one_of(st.tuples(st.just("turn"), st.integers(-6, 6).filter(bool)),
                st.tuples(st.sampled_from(["up", "down"]), st.floats(0.03, 3.0)))


def apply(rig, op) -> None:
    kind, amount = op
    if kind == "turn":
        turn(rig, amount)
    else:
        rig.press(amount, pin=22 if kind == "up" else 23, gap_s=0.05)
    rig.settle()  # acted on one by one, as a person turns and presses


def check(rig, sequence) -> None:
    for op in sequence:
        apply(rig, op)
    rig.settle()
    ctrl = rig.controller
    assert ctrl.violations == []
    assert ctrl.status()["volume_db"] <= CAP_DB


def _rig(make_rig, encoder: bool):
    hw = {"encoder_pins": [5, 6]} if encoder else {"volume_up_pin": 22, "volume_down_pin": 23}
    return make_rig(hardware=hw, ctrl=CapCheckingController())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(ops, min_size=1, max_size=100))
def test_random_presses_and_turns_never_exceed_the_cap(factory, make_rig, sequence):
    """10 examples x up to 100 operations; each example on fresh pins."""
    factory.reset()
    turns = [op for op in sequence if op[0] == "turn"]
    presses = [op for op in sequence if op[0] != "turn"]
    for encoder, part in ((True, turns), (False, presses)):
        rig = _rig(make_rig, encoder)
        check(rig, part)
        rig.bedside.close()
        factory.reset()


@pytest.mark.parametrize("encoder", [True, False])
def test_a_thousand_random_operations_never_exceed_the_cap(make_rig, encoder):
    rng = random.Random(20261125)
    rig = _rig(make_rig, encoder)
    if encoder:
        sequence = [("turn", rng.choice([-3, -2, -1, 1, 1, 2, 3, 4])) for _ in range(1000)]
    else:
        sequence = [(rng.choice(["up", "up", "down"]), rng.uniform(0.03, 1.5)) for _ in range(1000)]
    check(rig, sequence)
    sent = [args for action, _, args in rig.controller.submitted if action == "volume"]
    assert len(sent) >= 500  # each operation was acted on, not merged into a few
    assert any(r.get("at_cap") for r in rig.reports.of("volume"))  # the walk did press against the cap
