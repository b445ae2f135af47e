"""The import listens: where a voice speaks reaches the stick's report, the library and the page's details."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import player.audio.voice_cache as voice_cache
from player.commands.playlists import voice_line
from player.config import LibraryConfig
from player.playlist.library import library_playlists, voice_heard
from player.playlist.summary import summarize_library
from player.usb.importer import import_stick, write_stick_report
from tests.support import voice_material as material
from tests.usb.conftest import Stick, make_config, playlist_yaml

pytest.importorskip("onnxruntime", reason="the voice extra (onnxruntime) did not install on this machine; "
                    "bootstrap.sh installs it wherever a wheel exists (x86_64, aarch64)")


@pytest.fixture
def spoken(tmp_path):
    """A stick whose playlist plays a drone, then a pad with a voice-over at 0:08."""
    stick = Stick(tmp_path / "stick")
    made = tmp_path / "made"
    made.mkdir()
    voice, _ = material.speech_over_pad(made, "ocean", at_s=8.0, gain_db=0, seconds=30.0)
    (stick.playlists / "onset").mkdir()
    (stick.playlists / "onset" / "02 Ocean.flac").write_bytes(voice.read_bytes())
    material.drone(stick.playlists / "onset" / "01 Drone.wav", 20)
    stick.playlist("calm.yaml", playlist_yaml("onset/01 Drone.wav", "onset/02 Ocean.flac", name="Calm"))
    return stick


def test_the_import_report_carries_where_the_voice_speaks(spoken, tmp_path) -> None:
    config = make_config(tmp_path / "data")
    report = import_stick(spoken.root, config)
    assert report["result"] == "imported" and report["accepted"] == ["playlists/calm.yaml"]
    [warning] = [w for w in report["warnings"] if "spoken voice" in w["warning"]]
    assert warning["subject"] == "playlists/calm.yaml:8"
    assert warning["warning"].startswith("onset/02 Ocean.flac: spoken voice 0:0")
    write_stick_report(spoken.root, report)
    text = (spoken.root / "session-player" / "import-report.txt").read_text()
    assert "WARNING playlists/calm.yaml:8: onset/02 Ocean.flac: spoken voice 0:0" in text
    saved = json.loads((spoken.root / "session-player" / "import-report.json").read_text())
    assert saved["warnings"] == report["warnings"]

    # what was heard stays with the library: `playlists --json` and the page list it without listening again
    found = library_playlists(config.data_dir)
    [row] = summarize_library(found, "warn", voice_heard)
    assert [v["file"] for v in row["voice"]] == ["onset/02 Ocean.flac"]
    assert voice_line(row["voice"][0]).startswith("onset/02 Ocean.flac: spoken voice 0:0")
    assert summarize_library(found, "off", voice_heard)[0]["voice"] == []


def test_with_voice_scan_error_the_playlist_is_refused_and_the_library_unchanged(spoken, tmp_path) -> None:
    config = replace(make_config(tmp_path / "data"), library=LibraryConfig(voice_scan="error"))
    report = import_stick(spoken.root, config)
    assert report["result"] == "unchanged" and report["accepted"] == []
    assert report["refusals"][0]["subject"] == "playlists/calm.yaml:8"
    assert "spoken voice" in report["refusals"][0]["reason"]


def test_a_model_that_cannot_load_is_reported_could_not_check(spoken, tmp_path, monkeypatch) -> None:
    broken = tmp_path / "silero_vad.onnx"
    broken.write_bytes(b"\x08\x07garbage")
    original = voice_cache.VoiceLookup.__init__
    monkeypatch.setattr(voice_cache.VoiceLookup, "__init__",
                        lambda self, cache_path, **_: original(self, cache_path, model_path=broken))
    report = import_stick(spoken.root, make_config(tmp_path / "data"))
    assert report["result"] == "imported"        # a warning for the clinician, never a refusal in warn mode
    [warning] = [w for w in report["warnings"] if "spoken voice" in w["warning"]]
    assert warning["warning"].startswith("onset/01 Drone.wav, onset/02 Ocean.flac: could not check for a "
                                         "spoken voice (the voice model silero_vad.onnx cannot be loaded")
    assert "no spoken voice" not in json.dumps(report)
