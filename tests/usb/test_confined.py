"""The root parent and the stick's checker: the result protocol, and a checker that crashes, hangs,
floods, lies or answers garbage. Runs as any user: fake children (``/bin/sh`` exec'd through the
real `exec_child`, or Python functions forked by tests/support/forked_child.py), confined as the
real one is (as root they run as nobody). Whatever they did, the library is as it was, the
staging they left is gone, and the import report and the journal say what happened.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest

from player.errors import ImportRefused
from player.playlist.library import MANIFEST
from player.usb import library
from player.usb.answer import PROTOCOL, identity_of
from player.usb.confined import import_confined
from player.usb.plan import render_text
from player.usb.sandbox import Limits, exec_child
from player.usb.status import read_status
from tests.support.forked_child import fork_child
from tests.usb.conftest import CALM, Stick, checker_account, checker_data_dir, make_config


@pytest.fixture
def setup(reachable: Path):
    stick = Stick(reachable / "stick")
    stick.audio("calm/a.flac", 5.0)
    stick.playlist("calm.yaml", CALM)
    return stick, make_config(checker_data_dir(reachable))


def run(setup, spawn, *, limits: Limits | None = None, session_active=lambda: False) -> dict:
    stick, config = setup
    return import_confined(stick.root, config, account=checker_account(), spawn=spawn, limits=limits,
                           session_active=session_active)


def assert_unchanged(config, report: dict, reason: str) -> None:
    lib = config.data_dir / "library"
    assert report["result"] == "unchanged" and report["accepted"] == [] and report["generation"] is None
    assert not (lib / "current").exists()
    assert not [p for p in lib.iterdir() if p.name.startswith(".staging-")], "the checker's staging was left"
    text = render_text(report)
    assert f"REFUSED session-player: the check of the stick failed: {reason}" in text
    assert "library unchanged" in report["summary"]
    assert read_status(config.data_dir)["stage"] == "failed"


def sh(script: str):
    return exec_child(("/bin/sh", "-c", script))


def identity() -> dict:
    with open("/proc/self/status", encoding="ascii") as f:
        return identity_of(f.read())


def answer(report: dict | None = None, **extra: object) -> int:
    """Write a protocol answer to the pipe (fd 1) the way the real child does; exit 0."""
    body = {"protocol": PROTOCOL, "identity": identity(), **extra}
    if report is not None:
        body["report"] = report
    os.write(1, json.dumps(body).encode())
    return 0


def staged_report(staging: str, accepted=("playlists/calm.yaml",)) -> dict:
    return {"result": "staged", "summary": "staged", "accepted": list(accepted), "refusals": [], "warnings": [],
            "files": 1, "bytes": 10, "levels": {}, "staging": staging}


def stage_in(config) -> Path:
    """What a child does in the library folder (the parent holds the lock): a staging with a playlist."""
    lib = config.data_dir / "library"
    staging = library.new_staging(lib)
    (staging / "calm.yaml").write_text(CALM)
    (staging / MANIFEST).write_text("{}")
    return staging


def test_garbage_on_the_answer_pipe(setup, caplog):
    caplog.set_level(logging.ERROR)
    report = run(setup, sh("echo this is not json"))
    assert_unchanged(setup[1], report, "its answer is not a result (not JSON (JSONDecodeError))")
    assert "the library is unchanged" in caplog.text


def test_a_crashing_checker(setup):
    report = run(setup, sh("kill -SEGV $$"))
    assert_unchanged(setup[1], report, "it crashed (SIGSEGV)")


def test_a_checker_that_fails_says_its_exit_status(setup):
    report = run(setup, sh("echo 'Traceback: boom' >&2; exit 3"))
    assert_unchanged(setup[1], report, "it failed (exit status 3)")


def test_a_hanging_checker_is_stopped_with_everything_it_started(setup, reachable):
    pid_file = reachable / "sleeper.pid"
    pid_file.touch()
    pid_file.chmod(0o666)
    report = run(setup, sh(f"sleep 300 & echo $! > {pid_file}; wait"), limits=Limits(timeout_s=1))
    assert_unchanged(setup[1], report, "it ran longer than 1 s and was stopped")
    sleeper = int(pid_file.read_text())
    gone = threading.Event()
    for _ in range(100):   # the process group was killed: the sleeper dies (or is a zombie) shortly
        try:
            state = Path(f"/proc/{sleeper}/stat").read_text().split(")")[-1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            break
        if state == "Z":
            break
        gone.wait(0.05)
    else:
        pytest.fail("the checker's own child outlived it")


def test_a_flooding_checker_is_cut_off(setup):
    report = run(setup, sh("head -c 3000000 /dev/zero"), limits=Limits(answer_bytes=1_000_000))
    assert_unchanged(setup[1], report, "it answered more than 1000000 bytes")


def test_a_checker_that_staged_then_crashed_leaves_nothing(setup):
    config = setup[1]

    def stage_then_abort() -> int:
        stage_in(config)
        os.abort()

    report = run(setup, fork_child(stage_then_abort))
    assert_unchanged(config, report, "it crashed (SIGABRT)")


def test_a_checker_claiming_privileges_is_not_believed(setup):
    config = setup[1]

    def lying() -> int:
        staging = stage_in(config)
        body = {"protocol": PROTOCOL, "identity": {**identity(), "CapEff": "000001ffffffffff"},
                "report": staged_report(staging.name)}
        os.write(1, json.dumps(body).encode())
        return 0

    report = run(setup, fork_child(lying))
    assert_unchanged(config, report, "it was not unprivileged: it held capabilities (CapEff=1ffffffffff)")


@pytest.mark.parametrize("staging", ["../../etc", "gen-000001", ".staging-1-zzzzzzzz"])
def test_a_staging_name_that_is_not_one(setup, staging):
    report = run(setup, fork_child(lambda: answer(staged_report(staging))))
    assert_unchanged(setup[1], report, f"its answer is not a result (staging {staging!r} is not a staging "
                                       "folder's name)")


def test_a_staging_that_is_a_link_is_not_committed(setup):
    config = setup[1]
    elsewhere = config.data_dir / "elsewhere"

    def link() -> int:
        real = stage_in(config)
        real.rename(elsewhere)
        os.symlink(elsewhere, real)
        return answer(staged_report(real.name))

    report = run(setup, fork_child(link))
    assert "is not a folder of the service user's" in report["refusals"][0]["reason"]
    assert not (config.data_dir / "library" / "current").exists()


def test_a_staged_answer_missing_its_playlist_is_not_committed(setup):
    config = setup[1]

    def missing() -> int:
        staging = stage_in(config)
        (staging / "calm.yaml").unlink()
        return answer(staged_report(staging.name))

    report = run(setup, fork_child(missing))
    assert "/calm.yaml is missing" in report["refusals"][0]["reason"]
    assert not (config.data_dir / "library" / "current").exists()


def test_a_valid_staged_answer_is_committed(setup):
    config = setup[1]
    report = run(setup, fork_child(lambda: answer(staged_report(stage_in(config).name))))
    assert report["result"] == "imported" and report["generation"] == "gen-000001"
    assert report["accepted"] == ["playlists/calm.yaml"] and "staging" not in report
    assert (config.data_dir / "library" / "current" / "calm.yaml").read_text() == CALM


def test_a_valid_staged_answer_waits_for_the_session(setup):
    config = setup[1]
    report = run(setup, fork_child(lambda: answer(staged_report(stage_in(config).name))),
                 session_active=lambda: True)
    assert report["result"] == "deferred" and (config.data_dir / "library" / "pending").exists()


def test_an_unchanged_answer_is_passed_on(setup):
    unchanged = {"result": "unchanged", "summary": "nothing imported; library unchanged", "accepted": [],
                 "refusals": [{"subject": "playlists/x.yaml", "reason": "invalid playlist"}], "warnings": [],
                 "files": 0, "bytes": 0, "levels": {}, "injected": "dropped"}
    report = run(setup, fork_child(lambda: answer(unchanged)))
    assert report["refusals"] == unchanged["refusals"] and "injected" not in report
    assert report["room"] == "Room 3" and report["source"] == str(setup[0].root)   # the parent's own


def test_the_checker_could_not_read_the_stick(setup):
    with pytest.raises(ImportRefused, match="failed: cannot read: permission denied; the library is unchanged"):
        run(setup, fork_child(lambda: answer(error="cannot read: permission denied")))
    assert not (setup[1].data_dir / "library" / "current").exists()


def test_the_real_checker_imports_a_stick(setup):
    """The real child (exec'd, or forked where this Python is out of the service user's reach)."""
    from tests.usb.conftest import checker_spawn

    config = setup[1]
    report = run(setup, checker_spawn())
    assert report["result"] == "imported", render_text(report)
    assert (config.data_dir / "library" / "current" / "calm" / "a.flac").exists()
