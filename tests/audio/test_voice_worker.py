"""The daemon's background voice scan: never on the asking (engine) thread, in order, after loudness."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from player.audio.analysis import Analyzer
from player.audio.voice import VoiceScan
from player.audio.voice_worker import VoiceWorker
from player.core.level_model import TrackLevel

TIMEOUT_S = 10.0


class RecordingListener:
    """A listener that records which thread listened to what; `gate` holds it inside a scan."""

    def __init__(self) -> None:
        self.heard: list[tuple[Path, str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.inside = threading.Event()

    def scan(self, path, keep_going=None):
        self.inside.set()
        assert self.gate.wait(TIMEOUT_S)
        if keep_going is not None and not keep_going():
            return None
        self.heard.append((path, threading.current_thread().name))
        return VoiceScan(True, ((1.0, 3.0),) if "voice" in path.name else ())

    def close(self) -> None:
        self.closed = True


class SlowMeasurer:
    """A loudness measurer held until `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def measure_level(self, path, progress=None):
        assert self.release.wait(TIMEOUT_S)
        return TrackLevel(-15.0, -10.0)


def test_want_from_the_engine_thread_returns_at_once_and_the_scan_runs_on_its_own_thread() -> None:
    listener = RecordingListener()
    listener.gate.clear()
    worker = VoiceWorker(listener)
    asked_on = threading.current_thread().name
    worker.want(Path("a-voice.flac"), 0)          # returns although the scan is held
    assert listener.inside.wait(TIMEOUT_S)
    listener.gate.set()
    assert worker.wait_idle(TIMEOUT_S)
    assert listener.heard == [(Path("a-voice.flac"), "voice-scan")] and asked_on != "voice-scan"
    assert worker.result(Path("a-voice.flac")).voice
    worker.close()
    worker.close()


def test_the_loudness_worker_passes_every_request_on_and_goes_first() -> None:
    listener = RecordingListener()
    measurer = SlowMeasurer()
    worker = VoiceWorker(listener, busy=lambda: analyzer.busy())
    analyzer = Analyzer(measurer, also=worker.want)
    analyzer.want(Path("b.flac"), 20)
    analyzer.want(Path("a-voice.flac"), 10)
    assert not worker.wait_idle(0.3) and listener.heard == []       # loudness still measuring: no listening
    measurer.release.set()
    assert analyzer.wait_idle(TIMEOUT_S) and worker.wait_idle(TIMEOUT_S)
    assert [p.name for p, _ in listener.heard] == ["a-voice.flac", "b.flac"]      # the analyzer's order
    assert {thread for _, thread in listener.heard} == {"voice-scan"}
    analyzer.close()
    worker.close()


def test_a_scan_stopped_for_urgent_loudness_work_is_taken_up_again() -> None:
    listener = RecordingListener()
    busy = threading.Event()
    worker = VoiceWorker(listener, busy=busy.is_set)
    listener.gate.clear()
    worker.want(Path("long.flac"))
    assert listener.inside.wait(TIMEOUT_S)
    busy.set()                      # a gain is now wanted: the scan stops at its next block
    listener.gate.set()
    assert not worker.wait_idle(0.3)
    busy.clear()
    assert worker.wait_idle(TIMEOUT_S)
    assert [p.name for p, _ in listener.heard] == ["long.flac"]
    worker.close()


def test_a_listener_that_raises_is_could_not_check_and_the_next_file_is_heard() -> None:
    class Flaky(RecordingListener):
        def scan(self, path, keep_going=None):
            if path.name == "bad.flac":
                raise RuntimeError("onnx went away")
            return super().scan(path, keep_going)

    worker = VoiceWorker(Flaky())
    worker.want(Path("bad.flac"), 0)
    worker.want(Path("good.flac"), 1)
    assert worker.wait_idle(TIMEOUT_S)
    assert not worker.result(Path("bad.flac")).checked
    assert worker.result(Path("good.flac")).checked
    worker.close()


class UncheckedListener:
    """A listener that cannot check anything, as without the 'voice' extra."""

    def scan(self, path, keep_going=None):
        return VoiceScan(False, (), "onnxruntime is not installed (the 'voice' extra)")

    def close(self) -> None:
        """Nothing to end."""


def test_a_reason_every_file_shares_is_logged_once_not_once_per_file(caplog) -> None:
    """As found in the demo without the 'voice' extra: nine warnings saying the same thing."""
    worker = VoiceWorker(UncheckedListener())
    with caplog.at_level(logging.DEBUG, logger="player.audio.voice_worker"):
        for name in ("a.flac", "b.flac", "c.flac"):
            worker.want(Path(name))
        assert worker.wait_idle(TIMEOUT_S)
    worker.close()
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "could not check for a spoken voice" in warned[0].getMessage()
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) == 2
    assert all(not worker.result(Path(n)).checked for n in ("a.flac", "b.flac", "c.flac"))   # each still unchecked


def test_a_voice_heard_is_logged_for_every_file(caplog) -> None:
    worker = VoiceWorker(RecordingListener())
    with caplog.at_level(logging.WARNING, logger="player.audio.voice_worker"):
        worker.want(Path("a-voice.flac"))
        worker.want(Path("b-voice.flac"))
        assert worker.wait_idle(TIMEOUT_S)
    worker.close()
    assert len(caplog.records) == 2
