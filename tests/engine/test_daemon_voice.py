"""The daemon listens for voices behind its loudness worker: on its own thread, never the engine's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from player.audio.voice_cache import VoiceLookup
from player.control import send_request
from player.daemon import Daemon
from tests.engine.conftest import daemon_config

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


DAEMON_AFTER_SCAN = """
import json, os, sys, threading, time
from pathlib import Path
from player.audio.voice_worker import VoiceWorker
from player.control import send_request
from player.daemon import Daemon

config, playlist, tracks = json.loads(sys.argv[1]), sys.argv[2], [Path(t) for t in sys.argv[3:]]
daemon = Daemon(config)
daemon.start()
send_request(daemon.config.socket_path, {"action": "start", "playlist": playlist})
worker = daemon.part(VoiceWorker)
deadline = time.monotonic() + float(os.environ["WAIT_S"])
while any(worker.result(t) is None for t in tracks) and time.monotonic() < deadline:
    threading.Event().wait(0.2)
heard = {t.name: worker.result(t) is not None for t in tracks}
loaded = sorted(m for m in ("onnxruntime", "numpy") if m in sys.modules)
mapped = sorted({m for m in ("onnxruntime", "numpy")
                 for line in Path("/proc/self/maps").read_text().splitlines() if m in line})
daemon.stop()
children = [c for task in Path("/proc/self/task").iterdir() for c in (task / "children").read_text().split()]
print(json.dumps({"heard": heard, "modules": loaded, "mapped": mapped, "children": children}))
"""


@pytest.mark.real_audio
def test_after_the_background_scan_the_daemon_holds_no_onnxruntime_or_numpy(tmp_path: Path, audio_sink) -> None:
    """Issue 23: the model stayed in the daemon after a one-time scan (+62 MB RSS of a Pi's 512 MB).

    The real daemon, as `session-player run` wires it, in a process of its own (this test process may
    hold numpy for other tests) playing through libVLC into the virtual sound card, scans a spoken and an
    instrumental file with the real model.
    """
    pytest.importorskip("onnxruntime", reason="the voice extra (onnxruntime) did not install on this machine")
    from tests.support import voice_material as material

    music = tmp_path / "music"
    music.mkdir()
    spoken, _ = material.speech_over_pad(music, "spoken", at_s=5.0, gain_db=0, seconds=20.0)
    pad = material.pad(music / "pad.wav", 20)
    playlist = tmp_path / "p.yaml"
    playlist.write_text("name: P\ncrossfade: 2s\nphases:\n  - name: onset\n    duration: 60s\n"
                        "    tracks: [music/spoken.flac, music/pad.wav]\n")
    root = Path(__file__).resolve().parents[2]
    # the conftest (the demo's audio) and the fake output (soundfile) load numpy themselves: neither is in the script
    config = json.dumps(daemon_config(tmp_path / "data", audio={"output": "vlc", "device": "pulse"}))
    done = subprocess.run([sys.executable, "-c", DAEMON_AFTER_SCAN, config, str(playlist),
                           str(spoken), str(pad)], capture_output=True, text=True, timeout=WAIT_S + 60, cwd=root,
                          env={**os.environ, "WAIT_S": str(WAIT_S), "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["heard"] == {"spoken.flac": True, "pad.wav": True}, done.stderr[-3000:]
    assert found["modules"] == [] and found["mapped"] == [], found     # the model's memory was given back
    assert found["children"] == []                                     # stopping the daemon ends the scan's process
    files = json.loads((tmp_path / "data" / "voice-cache.json").read_text())["files"]
    by_name = {entry["name"]: entry for entry in files.values()}
    assert by_name["pad.wav"]["checked"] and by_name["pad.wav"]["ranges"] == []
    assert by_name["spoken.flac"]["checked"] and round(by_name["spoken.flac"]["ranges"][0][0]) in (4, 5, 6)
