"""`session-player feedback` and `session-player music-feedback [--json]` on the real daemon (real socket,
real engine, real files): answers after the session, a changed answer, refusals staff can act on, the sums."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml

from player import cli
from player.daemon import Daemon
from player.engine.eventlog import read_events
from player.engine.feedback_log import FEEDBACK_FILE
from tests.engine.conftest import daemon_config
from tests.support.audio_files import write_audio

PLAYLIST = """\
name: Feedback
crossfade: 1s
phases:
  - name: settling
    duration: 5m
    tracks: [music/rain.flac]
  - name: peak
    duration: 5m
    tracks: [music/sea.flac]
"""


def run(capsys, config: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main([*args, "--config", str(config)])
    out, err = capsys.readouterr()
    return code, out, err


def test_feedback_through_the_cli_and_the_sums(tmp_path: Path, capsys) -> None:
    write_audio(tmp_path / "music" / "rain.flac", 30.0, tags={"TITLE": "Rain on leaves"})
    write_audio(tmp_path / "music" / "sea.flac", 30.0)
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    settings = daemon_config(tmp_path / "data", session={"socket": str(tmp_path / "c.sock")})
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings))
    with Daemon(settings) as daemon:
        started = {"music/rain.flac": threading.Event(), "music/sea.flac": threading.Event()}
        daemon.controller.subscribe(lambda r: r["type"] == "track_started" and started[r["details"]["file"]].set())
        code, out, err = run(capsys, config, "feedback", "helped", "--track", "music/rain.flac")
        assert code == 1 and "no session has ended yet" in err
        assert run(capsys, config, "start", str(tmp_path / "p.yaml"))[0] == 0
        code, out, err = run(capsys, config, "feedback", "helped", "--phase", "settling")
        assert code == 1 and "no session has ended yet" in err      # the running one is not asked about
        assert started["music/rain.flac"].wait(10)
        assert run(capsys, config, "advance")[0] == 0
        assert started["music/sea.flac"].wait(10)
        assert run(capsys, config, "stop")[0] == 0
        sid = json.loads(run(capsys, config, "sessions", "--json")[1])[0]["id"]

        code, out, err = run(capsys, config, "feedback", "helped", "--track", "music/rain.flac", "--note",
                             "like being held")
        assert (code, err) == (0, ""), err
        assert out == f"recorded for session {sid}: music/rain.flac helped (like being held)\n"
        assert run(capsys, config, "feedback", "unwelcome", "--phase", "peak", "--session", sid)[0] == 0
        assert run(capsys, config, "feedback", "neutral", "--track", "music/rain.flac")[0] == 0   # changed
        code, out, err = run(capsys, config, "feedback", "helped", "--track", "music/none.flac")
        assert code == 1 and f"track 'music/none.flac' was not heard in session {sid}" in err
        code, out, err = run(capsys, config, "feedback", "helped", "--phase", "peak", "--note", "a\u202eb")
        assert code == 1 and "note must be one line of at most 200 characters" in err
        with pytest.raises(SystemExit) as usage:
            run(capsys, config, "feedback", "loved", "--phase", "peak")
        assert usage.value.code == 2 and "invalid choice: 'loved'" in capsys.readouterr().err

    written = read_events(tmp_path / "data" / "sessions" / sid / FEEDBACK_FILE)
    assert [(r["source"], r["details"]["answer"]) for r in written] == [("cli", "helped"), ("cli", "unwelcome"),
                                                                        ("cli", "neutral")]
    assert all(isinstance(r["actor"]["uid"], int) for r in written)   # who asked: the socket's peer

    code, out, err = run(capsys, config, "music-feedback", "--json")      # no daemon needed
    assert (code, err) == (0, "")
    assert json.loads(out) == {"rows": [
        {"kind": "track", "item": "music/rain.flac", "helped": 0, "neutral": 1, "unwelcome": 0, "sessions": 1,
         "notes": 0},
        {"kind": "phase", "item": "peak", "helped": 0, "neutral": 0, "unwelcome": 1, "sessions": 1, "notes": 0}],
        "sessions": 1, "problems": []}
    code, out, err = run(capsys, config, "music-feedback")
    assert code == 0
    assert out.splitlines()[0].split() == ["track", "or", "phase", "helped", "neutral", "unwelcome", "sessions",
                                           "notes"]
    assert out.splitlines()[1].split() == ["music/rain.flac", "0", "1", "0", "1", "0"]
    assert out.splitlines()[-1] == "1 session(s) with feedback"

    path = tmp_path / "data" / "sessions" / sid / FEEDBACK_FILE
    path.write_bytes(path.read_bytes() + b"{torn")
    code, out, err = run(capsys, config, "music-feedback")
    assert code == 1 and f"session-player: error: {path}:4: last line cut short" in err
    assert "music/rain.flac" in out                                     # the rest still counted


def test_no_feedback_yet_is_said_plainly(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "fresh")}))
    assert run(capsys, config, "music-feedback") == (0, "No music feedback recorded yet.\n", "")
    assert json.loads(run(capsys, config, "music-feedback", "--json")[1]) == {"rows": [], "sessions": 0,
                                                                                "problems": []}
