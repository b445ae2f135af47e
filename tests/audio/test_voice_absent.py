"""Without the voice extra the package works and every file is "could not check", never "no voice"."""

from __future__ import annotations

import subprocess
import sys

from player.audio.voice import onnxruntime_version
from player.audio.voice_cache import VoiceLookup
from tests.support.audio_files import write_audio


def test_without_onnxruntime_each_file_could_not_be_checked(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)      # import onnxruntime now raises ImportError
    assert onnxruntime_version() is None
    lookup = VoiceLookup(tmp_path / "voice-cache.json")
    found = lookup.scan(write_audio(tmp_path / "a.flac", 3.0))
    assert not found.checked and not found.voice
    assert found.reason == "onnxruntime is not installed (the 'voice' extra)"
    assert lookup.scan(write_audio(tmp_path / "b.flac", 3.0)).reason == found.reason   # decided once
    assert not (tmp_path / "voice-cache.json").exists()


def test_without_onnxruntime_the_scan_never_loads_numpy_into_the_daemon(tmp_path) -> None:
    """numpy is ~10 MB of the daemon's memory: it loads only for a scan that can run (onnxruntime there)."""
    track = write_audio(tmp_path / "a.flac", 3.0)
    code = ("import sys; sys.modules['onnxruntime'] = None\n"
            "from pathlib import Path\n"
            "from player.audio.voice_cache import VoiceLookup\n"
            f"found = VoiceLookup(Path({str(tmp_path / 'cache.json')!r})).scan(Path({str(track)!r}))\n"
            "print(found.checked, 'numpy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "False"], out.stderr
