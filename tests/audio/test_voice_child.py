"""The daemon's voice scans in a child process: same answers, gone when idle, and a broken child costs one file."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path

import pytest

from player.audio.voice import ModelEar
from player.audio.voice_cache import VoiceLookup
from player.audio.voice_child import ChildEar
from player.audio.voice_worker import VoiceWorker
from player.background import io_class

TIMEOUT_S = 60.0

# A stand-in child: answers by the file's name, as the protocol says, or fails the way named.
FAKE_CHILD = """
import json, os, sys, threading
marker = os.environ.get("LEAVE_FIRST")   # the first child leaves (exit 0) without reading: as if idle just then
if marker and not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit(0)
for line in sys.stdin:
    request = json.loads(line)
    if "stop" in request:
        continue
    name = os.path.basename(request["path"])
    if name.startswith("crash"):
        os._exit(3)
    if name.startswith("hang"):
        threading.Event().wait()
    answer = "not json at all" if name.startswith("garbage") else json.dumps({"checked": True, "ranges": []})
    print(answer, flush=True)
"""
WITHOUT_ONNXRUNTIME = ("import sys; sys.modules['onnxruntime'] = None; from player.audio.voice_child import main; "
                       "sys.exit(main(sys.argv[1:]))")


def fake_ear(**kw) -> ChildEar:
    return ChildEar(command=[sys.executable, "-c", FAKE_CHILD], **kw)


def asked_event() -> tuple[threading.Event, object]:
    """A keep_going that says "go on" and records that the ear is waiting for the child's answer."""
    asked = threading.Event()

    def keep_going() -> bool:
        asked.set()
        return True
    return asked, keep_going


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("onnxruntime", reason="the voice extra (onnxruntime) did not install on this machine; "
                        "bootstrap.sh installs it wherever a wheel exists (x86_64, aarch64)")
    from tests.support import voice_material as material

    folder = tmp_path_factory.mktemp("voice-child")
    spoken, _ = material.speech_over_pad(folder, "spoken", at_s=6.0, gain_db=0, seconds=25.0)
    broken = folder / "broken.mp3"
    broken.write_bytes(b"\xff\xfb" + b"not audio at all " * 200)
    return {"spoken": spoken, "pad": material.pad(folder / "pad.wav", 20), "broken": broken,
            "long": material.pad(folder / "long.wav", 180)}


def test_the_child_answers_as_scanning_in_process_does_and_leaves_when_idle(music, capfd) -> None:
    here = ModelEar()
    ear = ChildEar(idle_s=1.0)
    for name in ("spoken", "pad", "broken"):
        assert ear.listen(music[name]) == here.listen(music[name]), name
    assert ear.listen(music["spoken"]).voice
    assert ear.started == 1                          # one child heard them all
    assert ear.wait_gone(TIMEOUT_S) and ear.pid is None  # then it left: its memory went back
    assert "Fatal Python error" not in capfd.readouterr().err     # cleanly (it aborted at exit once)
    assert ear.listen(music["pad"]) == here.listen(music["pad"])   # a fresh child when there is more to hear
    assert ear.started == 2
    ear.close()
    ear.close()


def test_a_scan_told_to_stop_returns_none_and_the_same_child_hears_the_next(music) -> None:
    ear = ChildEar()
    assert ear.listen(music["long"], keep_going=lambda: False) is None
    assert ear.listen(music["pad"]).checked
    assert ear.started == 1
    ear.close()


def test_the_child_runs_at_the_lowest_priority_and_close_kills_it(tmp_path) -> None:
    ear = fake_ear()
    asked, keep_going = asked_event()
    answers: list = []
    listening = threading.Thread(target=lambda: answers.append(ear.listen(tmp_path / "hang.flac", keep_going)))
    listening.start()
    assert asked.wait(TIMEOUT_S)
    pid = ear.pid
    assert pid is not None
    assert os.getpriority(os.PRIO_PROCESS, pid) == 19
    assert os.sched_getscheduler(pid) == os.SCHED_IDLE
    assert io_class(pid) == 3
    ear.close()
    listening.join(TIMEOUT_S)
    assert answers == [None]                          # closed: no answer, nothing recorded
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)                               # killed and reaped
    assert ear.listen(tmp_path / "good.flac") is None  # a closed ear starts no child
    ear.close()


def test_a_child_that_crashes_hangs_or_answers_garbage_costs_that_file_only(tmp_path, caplog) -> None:
    names = ["crash.flac", "garbage.flac", "hang.flac", "good.flac", "crash-again.flac"]
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(f"file {i}".encode())   # distinct content: the cache is keyed by it
    ear = fake_ear(answer_timeout_s=2.0)
    worker = VoiceWorker(VoiceLookup(tmp_path / "voice-cache.json", ear=ear))
    with caplog.at_level(logging.DEBUG, logger="player.audio.voice_worker"):
        for priority, name in enumerate(names):
            worker.want(tmp_path / name, priority)
        assert worker.wait_idle(TIMEOUT_S)
    worker.close()
    said = {name: worker.result(tmp_path / name) for name in names}
    assert said["crash.flac"].reason == "the voice scan process ended without an answer (exit status 3)"
    assert said["garbage.flac"].reason == "the voice scan process answered something unreadable"
    assert said["hang.flac"].reason == "the voice scan process did not answer within 2 s"
    assert said["good.flac"].checked and not said["good.flac"].voice
    assert said["crash-again.flac"].reason == said["crash.flac"].reason
    assert ear.started == 4      # each failure ended its child; the next got a fresh one (good.flac's heard two)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 3 and all("could not check for a spoken voice" in m for m in warned)   # each reason once
    cached = json.loads((tmp_path / "voice-cache.json").read_text())["files"]
    assert [entry["name"] for entry in cached.values()] == ["good.flac"]   # "could not check" is never cached


def test_without_onnxruntime_in_the_child_it_is_said_once_and_no_more_children_start(tmp_path, caplog) -> None:
    ear = ChildEar(command=[sys.executable, "-c", WITHOUT_ONNXRUNTIME, "--idle-s", "30"])
    with caplog.at_level(logging.WARNING, logger="player.audio.voice_child"):
        first = ear.listen(tmp_path / "a.flac")
        second = ear.listen(tmp_path / "b.flac")
    assert not first.checked and first.reason == "onnxruntime is not installed (the 'voice' extra)"
    assert second == first
    assert ear.started == 1 and ear.pid is None
    assert [r.getMessage() for r in caplog.records] == [f"voice scan unavailable: {first.reason}"]
    ear.close()


def test_a_child_that_left_when_idle_just_as_it_was_asked_is_replaced(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LEAVE_FIRST", str(tmp_path / "left"))
    ear = fake_ear()
    assert ear.listen(tmp_path / "good.flac").checked
    assert ear.started == 2
    ear.close()
