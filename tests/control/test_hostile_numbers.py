"""One number check for every edge: a 401-digit integer, 1e308, NaN and inf get a clear refusal.

The red-team pass found `math.isfinite(10**400)` raising OverflowError inside the control
check: the socket closed unanswered with a traceback in the log. Here every numeric argument
of every control is fed each hostile number, through `check_control` and the real socket.
"""

from __future__ import annotations

import json
import logging
import math
import socket
from pathlib import Path

import pytest

from player.control.controller import check_control
from player.core.vocabulary import TYPES, describe
from player.daemon import Daemon
from player.errors import SessionRefused
from player.numbers import finite, shown
from tests.engine.conftest import daemon_config

HUGE = 10 ** 400
HOSTILE = [HUGE, -HUGE, 1e308, -1e308, math.nan, math.inf, -math.inf, True]
NUMERIC_CONTROLS = [("extend", "minutes"), ("calmer", "minutes"), ("volume", "delta_db"),
                    ("volume", "level_db"), ("observe", "value")]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_finite_never_raises(value) -> None:
    assert finite(value) is None or value in (1e308, -1e308)
    assert len(shown(value)) <= 40


def test_finite_keeps_ordinary_numbers() -> None:
    assert finite(3) == 3.0 and finite(-0.5) == -0.5 and finite(10 ** 300) == 1e300
    assert finite("3") is None and finite(None) is None


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize(("action", "key"), NUMERIC_CONTROLS)
def test_every_numeric_argument_is_refused_clearly(action, key, value) -> None:
    args = {key: value, **({"kind": "hr"} if action == "observe" else {})}
    with pytest.raises(SessionRefused) as refused:
        check_control(action, "web", args)
    assert len(str(refused.value)) < 200
    assert str(HUGE)[:30] not in str(refused.value)


@pytest.mark.parametrize("value", [HUGE, math.nan, math.inf], ids=repr)
def test_describing_a_record_with_a_hostile_number_never_raises(value) -> None:
    for name, kind in TYPES.items():
        describe({"type": name, "details": {f: value for f in kind.fields + kind.optional}})


def test_the_real_socket_answers_a_401_digit_integer_and_keeps_serving(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    huge = b"1" + b"0" * 400
    lines = [b'{"action": "extend", "minutes": ' + huge + b"}",
             b'{"action": "volume", "level_db": -' + huge + b"}",
             b'{"action": "calmer", "minutes": 1e400}',
             b'{"action": "observe", "kind": "hr", "value": ' + huge + b"}",
             b'{"action": "volume", "delta_db": NaN}',
             b'{"action": "status"}']
    with Daemon(daemon_config(tmp_path / "data")) as daemon, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(daemon.config.socket_path))
        s.sendall(b"\n".join(lines) + b"\n")
        reader = s.makefile("rb")
        answers = [json.loads(reader.readline()) for _ in lines]
    assert [a["ok"] for a in answers] == [False] * 5 + [True]
    for answer in answers[:5]:
        assert "must be" in answer["error"] or "finite number" in answer["error"], answer
        assert len(answer["error"]) < 200
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@pytest.mark.parametrize("minutes", [1e-9, 0.5, 5e-324])
def test_calmer_refuses_a_period_too_short_to_be_one(minutes) -> None:
    with pytest.raises(SessionRefused, match="at least 1 minute"):
        check_control("calmer", "cli", {"minutes": minutes})
    assert check_control("calmer", "cli", {"minutes": 1}).minutes == 1.0
