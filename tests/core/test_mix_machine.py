"""The MixMachine on its own: inputs in, output commands and mixer events out, no device.

The mixer's behaviour is pinned by tests/engine/test_mixer*.py through the output shell on
FakeOutput; here the machine is stepped directly with fake readings, to show what it asks
of the output, that a refused load is handled as the old synchronous failure was, and that
the core does no I/O.
"""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from player.config import load_config
from player.core.level_model import LevelLimits, TrackLevel
from player.core.media import GainResult, OutputEvent, Source
from player.core.mix import MixInput, MixMachine
from player.core.mix_commands import (
    BeginLevel,
    Closed,
    CrossfadeTo,
    EmergencyStop,
    LoadDeck,
    LoadRefused,
    Measure,
    Opened,
    Pause,
    Play,
    PlaySession,
    QueueNext,
    ReleaseDeck,
    Resume,
    SetMaster,
    StepMaster,
    Stop,
    Tick,
)

CORE = Path(__file__).resolve().parents[2] / "player" / "core"
NO_IO = {"threading", "socket", "subprocess", "asyncio", "os", "io", "shutil", "vlc", "aiohttp", "paho", "gpiozero",
         "time", "player.audio", "player.engine", "player.clock"}


class FakeReadings:
    def __init__(self) -> None:
        self.present = True
        self.reads: list[str] = []

    def position_s(self, slot):
        self.reads.append(f"position {slot}")
        return None

    def duration_s(self, slot):
        return None

    def loudness(self, path):
        return GainResult(final=True, unnormalized=True)

    def levels_revision(self):
        return 0

    def final_levels(self, paths):
        return []

    def device_ok(self):
        self.reads.append("probe")
        return self.present


def machine_and_mix():
    config = load_config({})
    machine = MixMachine(config.volume, config.audio, LevelLimits.of(config))
    return machine, machine.new_mix(), FakeReadings()


SOURCE = Source(Path("/music/a.flac"), token=7, duration_s=300.0)


def test_play_asks_for_a_measurement_then_a_muted_load_and_emits_nothing_yet() -> None:
    machine, mix, readings = machine_and_mix()
    mix, commands, events = machine.step(mix, Play(SOURCE, 5.0), 0.0, readings)
    assert commands == [Measure(SOURCE.path, 0), LoadDeck("A", SOURCE, 1)]
    assert events == [] and mix.mode == "playing" and mix.current is not None


def test_a_refused_load_frees_its_slot_reports_the_failure_and_asks_for_another_track() -> None:
    machine, mix, readings = machine_and_mix()
    machine.step(mix, Play(SOURCE, 5.0), 0.0, readings)
    mix, commands, events = machine.step(mix, LoadRefused("A", 1, "no such file"), 0.0, readings)
    assert commands == [ReleaseDeck("A")]
    assert [(e.kind, e.source, e.detail) for e in events] == [
        ("track_failed", SOURCE, {"reason": "no such file"}), ("needs_track", SOURCE, {})]
    assert mix.current is None and mix.slots.live() == []


def test_a_refusal_of_an_older_load_changes_nothing() -> None:
    machine, mix, readings = machine_and_mix()
    machine.step(mix, Play(SOURCE, 5.0), 0.0, readings)
    mix, commands, events = machine.step(mix, LoadRefused("A", 99, "stale"), 0.0, readings)
    assert (commands, events) == ([], []) and mix.current is not None


def test_output_events_of_another_load_are_ignored() -> None:
    machine, mix, readings = machine_and_mix()
    machine.step(mix, Play(SOURCE, 5.0), 0.0, readings)
    machine.step(mix, OutputEvent("error", "A", 2, "decoder"), 0.1, readings)
    assert mix.current is not None and mix.current.failure == ""
    _, _, events = machine.step(mix, OutputEvent("error", "A", 1, "decoder"), 0.1, readings)
    assert [e.kind for e in events] == ["track_failed", "needs_track"]


def test_opening_probes_the_device_once_and_a_missing_one_is_reported() -> None:
    machine, mix, readings = machine_and_mix()
    readings.present = False
    _, commands, events = machine.step(mix, Opened(), 0.0, readings)
    assert readings.reads == ["probe"] and commands == []
    assert [(e.kind, e.detail) for e in events] == [("device_lost", {"reason": "audio device missing at start"})]
    assert mix.activity() == "device lost"


INPUTS: list[MixInput] = [Play(SOURCE, 1.0), CrossfadeTo(SOURCE, 1.0), QueueNext(None, 4.0), Pause(1.0), Resume(1.0),
                          Stop(1.0), EmergencyStop(3.0), BeginLevel(-20.0), SetMaster(-10.0), StepMaster(-1.0), Tick(),
                          OutputEvent("device_back"), Opened(), Closed(), LoadRefused("A", 1, "x"),
                          PlaySession((SOURCE.path,))]


def test_every_input_class_has_a_handler_and_the_list_here_is_complete() -> None:
    assert {type(i) for i in INPUTS} == set(typing.get_args(MixInput))
    for given in INPUTS:
        machine, mix, readings = machine_and_mix()
        machine.step(mix, given, 0.0, readings)


def test_the_session_s_tracks_are_measured_in_play_order_and_set_its_reference() -> None:
    machine, mix, readings = machine_and_mix()
    paths = (Path("/music/b.flac"), Path("/music/a.flac"))
    _, commands, events = machine.step(mix, PlaySession(paths), 0.0, readings)
    assert (commands, events) == ([Measure(paths[0], 100), Measure(paths[1], 101)], [])
    quiet = TrackLevel(-40.0, -14.0)          # needs +22 dB, its peak allows +13: heard at -9 dB at most
    readings.final_levels = lambda asked: [quiet] if paths[1] in asked else []
    readings.levels_revision = lambda: 1
    machine.step(mix, Tick(), 0.0, readings)
    assert mix.slots.reference.target_db == pytest.approx(-9.0 - -6.0)     # lowered by what it lacks, as a glide
    assert mix.slots.reference.value(0.0) == 0.0


def test_an_emergency_stop_of_a_track_never_heard_is_over_at_once() -> None:
    machine, mix, readings = machine_and_mix()
    machine.step(mix, Play(SOURCE, 1.0), 0.0, readings)
    mix, commands, events = machine.step(mix, EmergencyStop(3.0), 1.0, readings)
    assert commands == [ReleaseDeck("A")] and mix.mode == "silent"
    assert [(e.kind, e.detail) for e in events] == [("fade_finished", {"kind": "emergency"})]


@pytest.mark.parametrize("module", sorted(p.name for p in CORE.glob("*.py")))
def test_the_core_imports_nothing_that_does_io(module: str) -> None:
    tree = ast.parse((CORE / module).read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    bad = [n for n in names if any(n == x or n.startswith(x + ".") for x in NO_IO)]
    assert not bad, f"player/core/{module} imports {bad}"


def test_the_track_to_come_is_measured_soon_and_nothing_more_is_asked() -> None:
    machine, mix, readings = machine_and_mix()
    _, commands, events = machine.step(mix, QueueNext(SOURCE, 6.0), 0.0, readings)
    assert commands == [Measure(SOURCE.path, 10)] and events == []
    assert mix.plan is not None and (mix.plan.source, mix.plan.crossfade_s, mix.xfade_hint) == (SOURCE, 6.0, 6.0)
    _, commands, _ = machine.step(mix, QueueNext(None, 2.0), 0.0, readings)
    assert commands == [] and mix.plan.source is None


def test_the_level_story_takes_its_target_and_staff_steps_ramp_from_now() -> None:
    machine, mix, readings = machine_and_mix()
    machine.step(mix, BeginLevel(-14.0), 10.0, readings)
    assert mix.master.target_db == -14.0 and mix.master.value(10.0) == min(-14.0, mix.volume.start_db)
    machine.step(mix, SetMaster(-30.0), 20.0, readings)
    assert mix.master.value(20.3) == -30.0
    machine.step(mix, StepMaster(3.0), 30.0, readings)
    assert mix.master.target_db == -27.0 and abs(mix.master.value(30.15) - -28.5) < 1e-9
