"""The state table, walked exhaustively: every state x every event."""

from __future__ import annotations

import pytest

from player.core.vocabulary import (
    CONTROLS,
    EVENTS,
    STATES,
    TRANSITIONS,
    is_active,
    next_state,
    refusal,
)

# The whole table, written out once more by hand: a change to the machine must change this too.
EXPECTED = {
    "idle": {"load": "ready", "start": "playing", "volume": "idle", "apply_library": "idle",
             "restart_playing": "playing", "restart_paused": "paused"},   # a session taken up after a restart
    "ready": {"load": "ready", "start": "playing", "volume": "ready", "stop": "idle", "emergency_stop": "idle",
              "apply_library": "ready"},
    "ended": {"load": "ready", "start": "playing", "volume": "ended", "apply_library": "ended"},
    "playing": {"pause": "paused", "next": "playing", "advance": "playing", "extend": "playing", "mark": "playing",
                "volume": "playing", "stop": "ended", "emergency_stop": "ended", "phase_elapsed": "playing",
                "session_completed": "ended", "device_lost": "faulted", "device_restored": "playing",
                "calmer": "playing"},
    "paused": {"resume": "playing", "extend": "paused", "mark": "paused", "volume": "paused", "stop": "ended",
               "emergency_stop": "ended", "device_lost": "paused", "device_restored": "paused"},
    "faulted": {"device_restored": "playing", "device_lost": "faulted", "phase_elapsed": "faulted",
                "advance": "faulted", "session_completed": "ended", "extend": "faulted", "mark": "faulted",
                "volume": "faulted", "stop": "ended", "emergency_stop": "ended"},
}
for _state in ("playing", "paused", "faulted"):   # checkpoints and observations, in every running state
    EXPECTED[_state].update(ack=_state, observe=_state)
for _state in EXPECTED:   # music feedback about a finished session: in every state, never a change
    EXPECTED[_state]["feedback"] = _state


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_every_pair(state: str, event: str) -> None:
    assert next_state(state, event) == EXPECTED[state].get(event)
    if next_state(state, event) is None:
        message = refusal(state, event)
        verb = "change to or from calmer music" if event == "calmer" else event.replace("_", " ")
        assert message.startswith(f"cannot {verb}: ")


def test_table_has_nothing_else() -> None:
    assert len(TRANSITIONS) == sum(len(v) for v in EXPECTED.values())
    assert all(s in STATES and e in EVENTS for s, e in TRANSITIONS)


def test_refusals_tell_staff_what_to_do() -> None:
    assert refusal("idle", "pause") == "cannot pause: no session is running; start a playlist first"
    assert refusal("paused", "next") == "cannot next: the session is paused; resume it first"
    assert "unknown action 'fly'" in refusal("playing", "fly")


def test_active_states() -> None:
    assert [s for s in STATES if is_active(s)] == ["playing", "paused", "faulted"]
    assert set(CONTROLS) <= set(EVENTS)
