"""The transition table is the only writer of the session's state.

Three proofs: every row of `TABLE` is a row of the vocabulary's table (one truth, two views);
walking every row, the handlers run in the row's old state (`act`) and its new one (`then`)
and the state moves exactly once, to the row's right-hand side; and no module of the core
assigns the state anywhere but `SessionMachine._enter` (read from the source).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.core import session as machine_module
from player.core.controls import Pause, Press, Resume, Start, control
from player.core.effects import Record
from player.core.inputs import Restart, RestartPaused, RestartPlaying
from player.core.media import MixerEvent
from player.core.resume import Downtime
from player.core.running import MixerView
from player.core.session import HANDLERS, STORAGE_FAULT, TABLE, Moment, Row, SessionMachine
from player.core.vocabulary import STATES, TRANSITIONS
from player.errors import SessionRefused
from tests.core.test_checkpoints import ORIGIN
from tests.core.test_checkpoints import started as checkpoints_started
from tests.core.test_rules import ARGS, in_state
from tests.core.test_rules_restore_behaviour import NOW, playlist, restore, saved

CORE = Path(machine_module.__file__).parent
NONE = MixerView()
EVENTS = {"DeviceLost": "device_lost", "DeviceRestored": "device_restored"}


def test_every_row_is_the_vocabularys_and_every_handled_pair_has_a_row() -> None:
    for (state, cls), row in TABLE.items():
        assert row.next == TRANSITIONS[(state, cls.action)]
    for cls in HANDLERS:
        for state in STATES:
            assert ((state, cls) in TABLE) == ((state, cls.action) in TRANSITIONS), (state, cls)


def watched(monkeypatch) -> list[tuple[str, str]]:
    """Wrap every row's handlers: each checks the state it runs in; `_enter` logs each move."""
    moves: list[tuple[str, str]] = []
    table = {}
    for (state, cls), row in TABLE.items():
        def act(m, inp, at, _row=row, _old=state):
            assert m.state == _old, "a handler ran in another state than its row's"
            if _row.act is not None:
                _row.act(m, inp, at)
            assert m.state == _old, f"{_row.act} changed the state"

        def then(m, inp, at, _row=row):
            assert m.state == _row.next
            if _row.then is not None:
                _row.then(m, inp, at)
        table[(state, cls)] = Row(row.next, act, then, row.announce)
    monkeypatch.setattr(machine_module, "TABLE", table)
    enter = SessionMachine._enter

    def logged(self, new, at_s, announce):
        moves.append((self.state, new))
        enter(self, new, at_s, announce)
    monkeypatch.setattr(SessionMachine, "_enter", logged)
    return moves


@pytest.mark.parametrize("state,cls", sorted(TABLE, key=lambda k: (k[0], k[1].__name__)),
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_walking_every_row_moves_the_state_once_to_the_rows_right_hand_side(monkeypatch, state, cls) -> None:
    row = TABLE[(state, cls)]
    if issubclass(cls, Restart):
        m = SessionMachine(restore()[0].config)
        moves = watched(monkeypatch)
        m.restore(saved(state="paused" if cls is RestartPaused else "playing"), playlist(), NOW,
                  Downtime(20.0, "boottime", True))
        assert moves[0] == ("idle", row.next) and m.state == row.next
        return
    m = in_state(state)
    moves = watched(monkeypatch)
    try:
        if cls.__name__ in EVENTS:
            m.heard(MixerEvent(EVENTS[cls.__name__]), 120.0, NONE)
        elif cls.__name__ == "SessionCompleted":
            m.event(cls(), Moment("system", 120.0, m.elapsed(120.0), NONE))
        else:
            m.command(control(cls.action, dict(ARGS.get(cls.action, {}))), "web", 120.0, NONE)
    except SessionRefused:           # a rule of its own (no more tracks, last phase, nothing due)
        assert moves == [] and m.state == state
        return
    assert moves[0] == (state, row.next)
    assert m.state == row.next or (moves[1:] and m.state == moves[-1][1])   # a later row of its own (e.g. ended)


def test_a_restart_is_taken_up_silently_only_as_daemon_restarted() -> None:
    assert not TABLE[("idle", RestartPlaying)].announce and not TABLE[("idle", RestartPaused)].announce
    assert all(row.announce for (_, cls), row in TABLE.items() if not issubclass(cls, Restart))


def _original(name: str) -> str:
    """A function's own name, also for the mutation tool's copies of it (``xǁClassǁname__mutmut_3``)."""
    found = re.fullmatch(r"x(?:ǁ\w+ǁ|_)(\w+?)__mutmut_\w+", name)
    return found.group(1) if found else name


def test_no_module_of_the_core_assigns_the_state_outside_enter() -> None:
    writers = []
    for path in sorted(CORE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(fn):
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
                names = [t for target in targets for t in ast.walk(target)
                         if isinstance(t, ast.Attribute) and t.attr in ("state", "_state")]
                writers += [(path.name, _original(fn.name)) for _ in names]
    # The deck's own table (deck.py) has one writer too, its `fire`: the deck's state, not the session's.
    assert sorted(set(writers)) == [("deck.py", "fire"), ("session.py", "__init__"), ("session.py", "_enter"),
                                    ("session.py", "assume_state_for_test")], writers


#: What a short press means, written out by hand (not read from `PRESS_MEANS`).
PRESS = {"idle": Start, "ready": Start, "ended": Start, "playing": Pause, "paused": Resume, "faulted": None}


@pytest.mark.parametrize("state", STATES)
def test_a_press_means_what_the_real_state_says(state: str) -> None:
    m = in_state(state)
    if PRESS[state] is None:
        with pytest.raises(SessionRefused, match=f"a short press does nothing while the session is {state}"):
            m.decide(Press())
        return
    decided = m.decide(Press(playlist="/srv/calm.yaml"))
    assert type(decided) is PRESS[state]
    if PRESS[state] is Start:
        assert decided == Start(playlist="/srv/calm.yaml")


def test_a_press_is_judged_against_the_state_it_reaches_the_core_in_not_a_snapshot() -> None:
    m = in_state("playing")
    first = m.command(Press(), "button", 130.0, NONE)
    second = m.command(Press(), "button", 131.0, NONE)    # two presses queued: pause, then resume
    assert m.state == "playing"
    assert [r.type for r in first if hasattr(r, "type")][:1] == ["paused"]
    assert "resumed" in [r.type for r in second if hasattr(r, "type")]


def test_a_press_that_starts_plays_the_loaded_playlist_before_the_default() -> None:
    m = in_state("ready")
    loaded = m.ready
    meant = replace(m.decide(Press(playlist=playlist(), default=True)), session_id="s2")   # the engine names it
    m.command(meant, "button", 130.0, NONE)
    assert m.state == "playing" and m.session is not None and m.session.playlist is loaded


def test_the_level_the_engine_set_is_recorded_from_and_to_and_before_a_session_is_its_preset() -> None:
    m = SessionMachine(restore()[0].config)
    assert m.level_changed("web", 12.5, -20.004, -14.996) == [
        Record("volume_changed", "web", 12.5, {"from_db": -20.0, "to_db": -15.0})]
    assert m.preset_db == -14.996
    playing = in_state("playing")
    assert playing.level_changed("button", 3.0, -12.0, -9.0) == [
        Record("volume_changed", "button", 3.0, {"from_db": -12.0, "to_db": -9.0})]
    assert playing.preset_db is None                 # during a session: the session's own level


def test_a_disk_problem_is_one_fault_until_nothing_waits_then_it_clears() -> None:
    m = in_state("playing")                           # session time 0 at monotonic 100
    fault = STORAGE_FAULT + "No space left on device"
    assert m.storage("No space left on device", 3, 160.0) == [Record("fault", "system", 60.0, {"message": fault})]
    assert m.faults[-1] == fault
    assert m.storage("No space left on device", 4, 161.0) == []        # shown once
    assert m.storage(None, 2, 162.0) == [] and fault in m.faults        # the disk is back; records still wait
    assert m.storage(None, 0, 163.5) == [Record("fault_cleared", "system", 63.5, {"message": fault})]
    assert fault not in m.faults and m.storage(None, 0, 164.0) == []


def test_a_start_plays_the_named_playlist_over_one_loaded_ahead() -> None:
    m = in_state("ready")
    named = replace(playlist(), name="Named")
    m.command(Start(playlist=named, session_id="s2"), "web", 130.0, NONE)
    assert m.session is not None and m.session.playlist is named


def test_acknowledgements_and_observations_are_recorded_exactly_when_and_by_whom() -> None:
    r = checkpoints_started()
    r.tick(ORIGIN + 601.0, NONE)
    acked = r.command(control("ack", {}), "cli", ORIGIN + 610.0, NONE)
    assert [(fx.type, fx.source, fx.at_s, fx.details) for fx in acked if isinstance(fx, Record)] == [
        ("checkpoint_acknowledged", "cli", 610.0, {"index": 0, "text": "BP and sedation", "at_s": 600.0,
                                                   "late_s": 10.0})]
    r.tick(ORIGIN + 1201.0, NONE)
    observed = r.command(control("observe", {"kind": "hr", "value": 72}), "web", ORIGIN + 1230.0, NONE)
    assert [(fx.type, fx.source, fx.at_s) for fx in observed if isinstance(fx, Record)] == [
        ("observation", "web", 1230.0), ("checkpoint_acknowledged", "web", 1230.0)]
    assert r.session is not None and r.session.checkpoints.done[1].source == "web"


def test_an_observation_of_a_configured_kind_is_checked_against_the_config() -> None:
    m = SessionMachine(config_from_mapping({"session": {"observation_kinds": {
        "etco2": {"label": "EtCO2", "unit": "mmHg", "min": 10, "max": 60}}}}))
    m.command(Start(playlist=playlist(), session_id="s1"), "web", 100.0, NONE)
    observed = m.command(control("observe", {"kind": "etco2", "value": 35}), "web", 110.0, NONE)
    assert [fx.details["label"] for fx in observed if isinstance(fx, Record)] == ["EtCO2"]
