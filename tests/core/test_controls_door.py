"""Each control an edge names reaches the session core as that control, from the source allowed to give it.

A bedside press must arrive as a press (the core decides start, pause or resume), a pause
as a pause, the USB import's apply as an apply: a name mapped to the wrong class would
have the session do something else than staff asked. Checked through the door
(`check_control`) every edge uses, for every control class there is.
"""

from __future__ import annotations

import pytest

from player.control.controller import check_control
from player.core.controls import Control

ARGS = {"mark": {"text": "BP 128/82"}, "volume": {"delta_db": -3}, "observe": {"kind": "hr", "value": 72},
        "feedback": {"session": "2026-12-07-0900", "phase": "Peak", "answer": "helped"}, "infusion": {"event": "start"}}
SOURCE = {"press": "button", "apply_library": "usb"}


@pytest.mark.parametrize("cls", Control.__subclasses__(), ids=lambda c: c.action)
def test_each_action_becomes_its_own_control(cls: type[Control]) -> None:
    given = check_control(cls.action, SOURCE.get(cls.action, "cli"), ARGS.get(cls.action, {}))
    assert type(given) is cls and given.action == cls.action


def test_every_control_class_has_a_distinct_action() -> None:
    actions = [c.action for c in Control.__subclasses__()]
    assert len(actions) == len(set(actions)) == 18 and "" not in actions
