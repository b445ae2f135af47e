"""A direction override in a mark or note cannot make a report read backwards: refused at every edge."""

from __future__ import annotations

import pytest

from player.control.controller import check_control
from player.errors import SessionRefused


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u202b", "\u2066", "\u2067", "\u2068", "\u2069", "\u202c"])
def test_direction_overrides_and_isolates_are_refused(control) -> None:
    with pytest.raises(SessionRefused, match="one line"):
        check_control("mark", "cli", {"text": f"BP {control}128/82"})
    with pytest.raises(SessionRefused):
        check_control("observe", "web", {"kind": "note", "value": f"calm {control}now"})
    with pytest.raises(SessionRefused):
        check_control("observe", "web", {"kind": "hr", "value": 72, "note": f"after {control}standing"})


def test_right_to_left_text_and_its_direction_marks_stay_allowed() -> None:
    text = "\u05dc\u05d7\u05e5 \u05d3\u05dd\u200f 128/82 \u200e"
    assert check_control("mark", "cli", {"text": text}).text == text.strip()
