"""What each command does to the patient's ear in each mode of the mixer, written down on its own.

`test_mixer_modes.py` checks that each pair lands where the table in player/core/mix_modes.py
says; this file does not read that table. It states, for every mode x command, what a
listener and the engine observe on the real Mixer (FakeOutput, fake clock): the mode right
after the command, what is heard once everything settled, when the fade the engine asked for
is reported finished, and when the old track's deck is stopped (a cut, or after its fade).

The audio path's latency (``audio.latency_s``, 1.5 s by default) is the time from the fader
reaching silence to the output having played it: a fade is "finished", and a faded deck is
stopped, only that long after the fader's end.
"""

from __future__ import annotations

import pytest

from tests.engine.test_mixer_modes import issue, rig_in

L = 1.5        # audio.latency_s
TICK = 0.02
NOW = 0.0      # reported at once (within the next tick)

# (mode, command): (mode right after, heard at the end, fade_finished after (s), old deck "a" stopped after (s))
# The rigs: pausing = a pause(3) 0.5 s in; stopping = a stop(3) 0.5 s in; paused = held at silence.
# The commands: play / crossfade "b"; pause(1), resume(1), stop(1), emergency (0.5 s).
SPEC = {
    # Nothing plays: a start fades in; a fade asked of silence is finished at once; resume has nothing to do.
    ("silent", "play"): ("playing", "b", None, None),
    ("silent", "crossfade"): ("playing", "b", None, None),
    ("silent", "pause"): ("silent", None, NOW, None),
    ("silent", "resume"): ("silent", None, None, None),
    ("silent", "stop"): ("silent", None, NOW, None),
    ("silent", "emergency"): ("silent", None, NOW, None),
    # Playing: fades take the whole mix, finished after the fade plus the latency.
    ("playing", "pause"): ("pausing", None, 1 + L, None),
    ("playing", "resume"): ("playing", "a", None, None),
    ("playing", "stop"): ("stopping", None, 1 + L, 1 + L),
    ("playing", "emergency"): ("stopping", None, 0.5 + L, 0.5 + L),
    # Pausing: a start lets the old track finish its fade (never a cut); resume brings it back;
    # a stop or an emergency is faster than the pause fade's rest, and wins.
    ("pausing", "play"): ("playing", "b", None, 2.5 + L),
    ("pausing", "crossfade"): ("playing", "b", None, 2.5 + L),
    ("pausing", "pause"): ("pausing", None, 2.5 + L, None),
    ("pausing", "resume"): ("playing", "a", None, None),
    ("pausing", "stop"): ("stopping", None, 1 + L, 1 + L),
    ("pausing", "emergency"): ("stopping", None, 0.5 + L, 0.5 + L),
    # Paused (held at silence): a start drops the held track; resume takes it up in place;
    # a stop releases it at once (nothing to fade) and the mix is silent.
    ("paused", "play"): ("playing", "b", None, NOW),
    ("paused", "crossfade"): ("playing", "b", None, NOW),
    ("paused", "pause"): ("paused", None, NOW, None),
    ("paused", "resume"): ("playing", "a", None, None),
    ("paused", "stop"): ("silent", None, NOW, NOW),
    ("paused", "emergency"): ("silent", None, NOW, NOW),
    # Stopping: pause and resume do not undo a stop; a new start fades in beside it;
    # a faster stop wins.
    ("stopping", "play"): ("playing", "b", None, 2.5 + L),
    ("stopping", "crossfade"): ("playing", "b", None, 2.5 + L),
    ("stopping", "pause"): ("stopping", None, 2.5 + L, 2.5 + L),
    ("stopping", "resume"): ("stopping", None, 2.5 + L, 2.5 + L),
    ("stopping", "stop"): ("stopping", None, 1 + L, 1 + L),
    ("stopping", "emergency"): ("stopping", None, 0.5 + L, 0.5 + L),
}


@pytest.mark.parametrize("mode,command", sorted(SPEC))
def test_what_each_command_does_in_each_mode(mode: str, command: str) -> None:
    rig = rig_in(mode)
    began = rig.clock.monotonic()
    issue(rig, command)
    mode_after, heard, finished_after, a_stopped_after = SPEC[(mode, command)]
    assert rig.mixer.mode == mode_after
    rig.run(8)

    assert (None if rig.mixer.is_silent else rig.mixer.current.path.stem) == heard
    finished = [t - began for t, ev in rig.events if ev.kind == "fade_finished"]
    if finished_after is None:
        assert finished == []
    else:
        assert len(finished) == 1 and finished[0] == pytest.approx(finished_after, abs=1.5 * TICK)
    a_stops = [t - began for t, name, args in rig.out.calls if name == "stop" and args == ("A",)]
    if a_stopped_after is None:
        assert a_stops == []
    else:
        assert a_stops and a_stops[0] == pytest.approx(a_stopped_after, abs=2.5 * TICK)   # the next ticks


def test_the_old_track_fades_down_under_a_new_start_not_cut() -> None:
    """A start during a stop fade: the old track's level falls step by step to silence, then it stops."""
    rig = rig_in("stopping")
    began = rig.clock.monotonic()
    issue(rig, "play")
    rig.run(8)
    levels = [p for t, p in rig.out.gains["A"] if t >= began]
    assert levels[0] > 0 and levels[-1] == 0
    assert all(b <= a for a, b in zip(levels, levels[1:], strict=False))     # only down
    assert max(a - b for a, b in zip(levels, levels[1:], strict=False)) < levels[0] / 2   # no step to silence
