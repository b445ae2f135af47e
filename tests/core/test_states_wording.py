"""The exact words of every refusal, and the fallbacks for a state the table does not know.

Beside test_states.py (the table itself): staff read these lines on the web page and the
CLI, so each is pinned whole (mutation testing found the wording and the fallbacks untested).
"""

from __future__ import annotations

import pytest

from player.core.vocabulary import refusal

WORDING = {
    "idle": "cannot pause: no session is running; start a playlist first",
    "ready": "cannot pause: the session has not started; start it first",
    "ended": "cannot pause: the session has ended; start a new session first",
    "paused": "cannot pause: the session is paused; resume it first",
    "faulted": "cannot pause: the audio device is lost; wait for the audio device, or stop the session",
    "playing": "cannot pause: the session is already playing",  # no hint: nothing to do first
}


@pytest.mark.parametrize("state", WORDING)
def test_each_state_says_why_and_what_to_do(state: str) -> None:
    assert refusal(state, "pause") == WORDING[state]


def test_an_action_with_an_underscore_reads_as_words() -> None:
    assert refusal("idle", "emergency_stop") == "cannot emergency stop: no session is running; start a playlist first"


def test_an_unknown_state_is_named_as_it_is_without_a_hint() -> None:
    assert refusal("rebooting", "pause") == "cannot pause: rebooting"


def test_an_unknown_action_lists_every_control() -> None:
    assert refusal("playing", "fly") == ("unknown action 'fly'; known actions: load, start, pause, resume, next, "
                                         "advance, extend, mark, volume, stop, emergency_stop, ack, observe, calmer, "
                                         "feedback")
