"""Every mode x command of the mixer's table, on the real Mixer (FakeOutput, fake clock): the mode it
lands in, and what the patient would hear, for each pair."""

from __future__ import annotations

import pytest

from player.core.mix_modes import COMMANDS, MODE_TRANSITIONS, MODES
from tests.engine.mixer_harness import Rig


def rig_in(mode: str) -> Rig:
    rig = Rig({"volume": {"start_db": -12, "default_db": -12}})
    rig.a, rig.b = rig.track("a", 300), rig.track("b", 300)
    if mode != "silent":
        rig.mixer.play(rig.a, fade_in_s=1)
        rig.run(4)
        assert not rig.mixer.is_silent
    if mode == "pausing":
        rig.mixer.pause(3)
        rig.run(0.5)
    elif mode == "paused":
        rig.mixer.pause(0.5)
        rig.run(3)
    elif mode == "stopping":
        rig.mixer.stop(3)
        rig.run(0.5)
    assert rig.mixer.mode == mode
    rig.events.clear()
    return rig


def issue(rig: Rig, command: str) -> None:
    m = rig.mixer
    {"play": lambda: m.play(rig.b, fade_in_s=1), "crossfade": lambda: m.crossfade_to(rig.b, crossfade_s=2),
     "pause": lambda: m.pause(1), "resume": lambda: m.resume(1), "stop": lambda: m.stop(1),
     "emergency": lambda: m.emergency_stop(), "faded": lambda: rig.run(6)}[command]()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("command", COMMANDS)
def test_each_pair_lands_where_the_table_says_and_sounds_like_it(mode: str, command: str) -> None:
    rig = rig_in(mode)
    expected, action = MODE_TRANSITIONS[(mode, command)]
    issue(rig, command)
    if command != "faded":
        assert rig.mixer.mode == expected, (mode, command)
    rig.run(8)                                                 # what it leads to, once fades are over
    kinds = [k for k, _ in rig.kinds()]
    heard = not rig.mixer.is_silent
    if action in ("enter", "replace", "detach_and_enter"):
        assert heard and rig.mixer.current == rig.b                  # the new track is heard
    elif action in ("fade_back", "resume_decks"):
        assert heard and rig.mixer.current == rig.a                  # the same track is back
    elif action in ("fade_out", "hold", "release", "already_silent"):
        assert not heard and "fade_finished" in kinds
        assert rig.mixer.mode == ("paused" if expected in ("pausing", "paused") else "silent")
    else:                                                      # "none": what was going on goes on
        assert heard == (mode == "playing")
    if action == "hold":
        assert [name for _, name, _ in rig.out.calls][-1] == "pause"    # held by the output, not stopped
