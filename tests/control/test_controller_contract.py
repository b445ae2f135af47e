"""One contract, two controllers: the real engine and the fake the edge tests use say the same things.

The same script of controls (and refusals) runs on `SessionEngine` (real mixer on the
simulated output, real records on disk) and on `FakeController`; the records they make
(without what only audio makes: tracks starting and ending) and every refusal must match.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from player.clock import FakeClock
from player.control.fake import FakeController
from player.errors import SessionRefused
from player.playlist.model import Checkpoint
from tests.engine.test_engine import Rig

SCRIPT = [
    ("resume", {}), ("calmer", {}), ("start", {"playlist": "four"}), ("resume", {}), ("calmer", {}),
    ("mark", {"text": "BP 128/82"}),
    ("volume", {"delta_db": 3.0}), ("volume", {"level_db": -30.0}), ("extend", {"minutes": 5.0}),
    ("pause", {}), ("next", {}), ("advance", {}), ("extend", {"minutes": 1.0}), ("resume", {}),
    ("advance", {}), ("advance", {}), ("next", {}), ("advance", {}), ("advance", {}), ("stop", {}),
    ("stop", {}), ("load", {"playlist": "four"}), ("stop", {}), ("apply_library", {}),
]
AUDIO_ONLY = ("track_started", "track_ended", "exposure")   # made from what the mixer played


CALMER_SCRIPT = [
    ("start", {"playlist": "four"}), ("calmer", {"off": True}), ("calmer", {"minutes": 5}), ("calmer", {}),
    ("pause", {}), ("calmer", {}), ("resume", {}), ("calmer", {"minutes": 2}), ("calmer", {"off": True}),
    ("calmer", {"minutes": 5}), ("advance", {}), ("calmer", {"off": True}), ("stop", {}),
]   # (the fake does not tick: nothing here ends on the clock)


def run(controller, advance, script=SCRIPT) -> list:
    outcomes = []
    for action, args in script:
        source = "usb" if action == "apply_library" else "web"
        try:
            st = controller.submit(action, source=source, **args)
            outcomes.append(("ok", action, st["state"], st["phase"], st["volume_db"], st["calmer"]))
        except SessionRefused as exc:
            outcomes.append(("refused", action, str(exc)))
        advance(7.0)
    return outcomes


def comparable(records: list[dict]) -> list[tuple]:
    return [(r["type"], r["source"], r["elapsed_s"], r["details"]) for r in records
            if r["type"] not in AUDIO_ONLY and not (r["type"] == "track_skipped" and r["source"] == "system")]


def both_sides(rig: Rig, script) -> tuple[list, list[dict], list, FakeController]:
    """The same `script` against the real engine, then against the fake controller with the same playlist.

    Returns the engine's outcomes and records, and the fake's outcomes and the fake itself (its records).
    """
    engine_records: list[dict] = []
    rig.engine.subscribe(engine_records.append)
    rig.engine.start()
    try:
        engine_outcomes = script(rig.engine, rig.advance)
    finally:
        rig.engine.close()
    clock = FakeClock()
    fake = FakeController(config=rig.config, playlists={"four": rig.playlists["four"]}, clock=clock)
    return engine_outcomes, engine_records, script(fake, clock.advance), fake


def test_the_fake_and_the_engine_keep_the_same_contract(tmp_path: Path) -> None:
    engine_outcomes, engine_records, fake_outcomes, fake = both_sides(Rig(tmp_path), run)
    assert fake_outcomes == engine_outcomes
    assert comparable(fake.records) == comparable(engine_records)
    assert {o[0] for o in engine_outcomes} == {"ok", "refused"}
    kinds = {r["type"] for r in engine_records}
    assert {"session_started", "marked", "volume_changed", "phase_extended", "paused", "resumed",
            "phase_advanced", "session_ended", "state_changed"} <= kinds


def test_calmer_music_keeps_the_same_contract(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    four = rig.playlists["four"]
    calm = replace(four, calmer=four.phases[-1].tracks)        # the last phase's music as the calmer music
    rig.playlists = {"four": calm, calm.path.name: calm}
    engine_records: list[dict] = []
    rig.engine.subscribe(engine_records.append)
    rig.engine.start()
    try:
        engine_outcomes = run(rig.engine, rig.advance, CALMER_SCRIPT)
    finally:
        rig.engine.close()
    clock = FakeClock()
    fake = FakeController(config=rig.config, playlists={"four": calm}, clock=clock)
    assert run(fake, clock.advance, CALMER_SCRIPT) == engine_outcomes
    assert comparable(fake.records) == comparable(engine_records)
    kinds = [r["details"].get("reason") for r in engine_records if r["type"] == "calmer_ended"]
    assert kinds == ["staff", "phase ended"]


@pytest.mark.parametrize("action,args", [("fly", {}), ("mark", {"text": "two\nlines"}), ("extend", {"minutes": 0}),
                                         ("volume", {}), ("apply_library", {}), ("calmer", {"minutes": -1}),
                                         ("calmer", {"off": 1}), ("start", {"checked": "yes"})])
def test_bad_controls_are_refused_alike(tmp_path: Path, action, args) -> None:
    rig = Rig(tmp_path)
    rig.engine.start()
    try:
        with pytest.raises(SessionRefused) as real:
            rig.engine.submit(action, source="web", **args)
    finally:
        rig.engine.close()
    with pytest.raises(SessionRefused) as fake:
        FakeController(config=rig.config).submit(action, source="web", **args)
    assert str(fake.value) == str(real.value)


CHECKPOINTS = (Checkpoint(10.0, "BP at 10 s", 1), Checkpoint(20.0, "HR", 2), Checkpoint(21.0, "Sedation", 3))
CHECKPOINT_SCRIPT = [   # (action, args, seconds the clock moves after it)
    ("ack", {}, 1.0), ("start", {"playlist": "four"}, 5.0), ("ack", {}, 6.0),
    ("observe", {"kind": "hr", "value": 70}, 0.5), ("observe", {"kind": "bp", "value": "128/82"}, 0.5),
    ("ack", {}, 10.0), ("observe", {"kind": "bp", "value": "1280/82"}, 1.0),
    ("ack", {"text": "sed"}, 1.0), ("ack", {"text": "HR"}, 1.0), ("observe", {"kind": "note", "value": "calm"}, 1.0),
    ("stop", {}, 1.0), ("ack", {}, 1.0),
]
TICK_ONLY = ("checkpoint_due", "checkpoint_missed")   # the fake has no ticks: it shows states, records nothing on time


def run_checkpoints(controller, advance) -> list:
    outcomes = []
    for action, args, seconds in CHECKPOINT_SCRIPT:
        try:
            st = controller.submit(action, source="cli", **args)
            outcomes.append(("ok", action, st["state"], [c["state"] for c in st["checkpoints"]]))
        except SessionRefused as exc:
            outcomes.append(("refused", action, str(exc)))
        advance(seconds)
    return outcomes


def test_checkpoints_and_observations_keep_the_same_contract(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.playlists["four"] = replace(rig.playlists["four"], checkpoints=CHECKPOINTS)
    engine_outcomes, engine_records, fake_outcomes, fake = both_sides(rig, run_checkpoints)
    assert fake_outcomes == engine_outcomes
    assert [o[0] for o in engine_outcomes] == ["refused", "ok", "refused", "ok", "ok", "refused", "refused", "ok",
                                               "ok", "ok", "ok", "refused"]
    assert engine_outcomes[5][2] == "no checkpoint is due"     # the BP observation acknowledged the first
    assert engine_outcomes[6][2].startswith("systolic 1280 mmHg is outside the plausible range")
    assert engine_outcomes[9][3] == ["done", "done", "done"]
    wanted = [r for r in engine_records if r["type"] not in TICK_ONLY]
    assert comparable(fake.records) == comparable(wanted)
    assert [r["details"]["index"] for r in engine_records if r["type"] == "checkpoint_due"] == [0, 1, 2]
    acks = [(r["source"], r["details"]["index"], r["details"].get("observation")) for r in engine_records
            if r["type"] == "checkpoint_acknowledged"]
    assert acks == [("cli", 0, "bp"), ("cli", 2, None), ("cli", 1, None)]
