"""The daemon listens for voices behind its loudness worker: on its own thread, never the engine's."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from player.audio.voice_cache import VoiceLookup
from player.control import send_request
from player.daemon import Daemon
from tests.session.conftest import daemon_config

WAIT_S = 120.0


def test_the_tracks_of_a_started_session_are_listened_to_on_the_voice_thread(tmp_path: Path, demo_playlist: Path,
                                                                              monkeypatch) -> None:
    pytest.importorskip("onnxruntime", reason="the voice extra (onnxruntime) did not install on this machine")
    threads: list[str] = []
    two = threading.Event()
    original = VoiceLookup.scan

    def recording(self, path, keep_going=None, **kw):
        threads.append(threading.current_thread().name)
        if len(threads) >= 2:
            two.set()
        return original(self, path, keep_going, **kw)
    monkeypatch.setattr(VoiceLookup, "scan", recording)
    with Daemon(daemon_config(tmp_path / "data")) as daemon:
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(demo_playlist)})
        assert two.wait(WAIT_S), threads
        assert daemon.status()["state"] == "playing"
    assert set(threads) == {"voice-scan"}
    assert "voice-scan" not in {t.name for t in threading.enumerate()}     # stopped with the daemon
    cache = tmp_path / "data" / "voice-cache.json"
    heard = json.loads(cache.read_text())["files"].values()
    assert heard and all(entry["checked"] and entry["ranges"] == [] for entry in heard)   # the demo has no voice


def test_off_starts_no_voice_thread(tmp_path: Path, demo_playlist: Path, monkeypatch) -> None:
    monkeypatch.setattr(VoiceLookup, "scan", lambda *a, **k: pytest.fail("listened although off"))
    with Daemon(daemon_config(tmp_path / "data", library={"voice_scan": "off"})) as daemon:
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(demo_playlist)})
        assert daemon.status()["state"] == "playing"
        assert "voice-scan" not in {t.name for t in threading.enumerate()}
