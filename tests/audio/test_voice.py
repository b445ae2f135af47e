"""The voice scan against the real model, ffmpeg and test music made here (espeak-ng over sox pads)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from player.audio.voice import MODEL_PATH, VoiceModel, VoiceScan, scan_file
from player.audio.voice_cache import VoiceLookup
from tests.support import voice_material as material

pytest.importorskip("onnxruntime", reason="the voice extra (onnxruntime) did not install on this machine; "
                    "bootstrap.sh installs it wherever a wheel exists (x86_64, aarch64)")

SPEECH_AT_S = 12.0


@pytest.fixture(scope="module")
def model() -> VoiceModel:
    return VoiceModel()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("voice")


@pytest.mark.parametrize("gain_db", [0, -6, -12])
def test_speech_over_a_pad_is_found_within_a_second_of_where_it_was_put(model, folder, gain_db) -> None:
    path, end_s = material.speech_over_pad(folder, f"speech{-gain_db}", at_s=SPEECH_AT_S, gain_db=gain_db)
    found = scan_file(path, model)
    assert found.checked and found.voice, found
    assert len(found.ranges) == 1, found.ranges
    start, end = found.ranges[0]
    assert abs(start - SPEECH_AT_S) <= 1.0 and abs(end - end_s) <= 1.0, (found.ranges, SPEECH_AT_S, end_s)
    assert found.describe().startswith("spoken voice 0:1")


def test_two_voice_overs_are_two_ranges(model, folder) -> None:
    first, _ = material.speech_over_pad(folder, "first", at_s=3.0, gain_db=0, seconds=20.0)
    second, _ = material.speech_over_pad(folder, "second", at_s=2.0, gain_db=0, seconds=20.0)
    both = folder / "both.flac"
    subprocess.run(["sox", str(first), str(second), str(both)], check=True, timeout=60)
    found = scan_file(both, model)
    assert [round(a) for a, _ in found.ranges] == [3, 22], found.ranges


@pytest.mark.parametrize("make", [
    lambda d: material.pad(d / "pad.wav", 60),
    lambda d: material.drone(d / "drone.wav"),
    lambda d: material.plucks(d / "plucks.wav"),
    lambda d: material.noise(d / "pink.wav", "pink"),
    lambda d: material.noise(d / "brown.wav", "brown"),
    lambda d: material.silence(d / "silence.wav"),
], ids=["pad", "drone", "plucks", "pink-noise", "brown-noise", "silence"])
def test_instrumental_material_raises_no_false_alarm(model, folder, make) -> None:
    found = scan_file(make(folder), model)
    assert found == VoiceScan(True, ()), found


def test_a_broken_model_file_is_could_not_check_never_no_voice(folder, tmp_path) -> None:
    broken = tmp_path / "silero_vad.onnx"
    broken.write_bytes(MODEL_PATH.read_bytes()[:5000])
    lookup = VoiceLookup(tmp_path / "voice-cache.json", model_path=broken)
    found = lookup.scan(material.pad(folder / "pad-b.wav", 10))
    assert not found.checked and not found.voice
    assert "cannot be loaded" in found.reason
    assert found.describe().startswith("could not check for a spoken voice: the voice model silero_vad.onnx")
    assert not (tmp_path / "voice-cache.json").exists()    # "could not check" is never remembered


def test_a_file_ffmpeg_cannot_decode_is_could_not_check(model, tmp_path) -> None:
    bad = tmp_path / "track.mp3"
    bad.write_bytes(b"\xff\xfb" + b"not audio at all " * 200)
    found = scan_file(bad, model)
    assert not found.checked and found.reason.startswith("cannot decode"), found


def test_without_ffmpeg_it_is_could_not_check(model, folder) -> None:
    found = scan_file(material.drone(folder / "drone-x.wav", 5), model, ffmpeg="/nonexistent/ffmpeg")
    assert not found.checked and "ffmpeg cannot run" in found.reason


def test_answers_are_cached_by_content_and_a_renamed_copy_is_not_heard_again(folder, tmp_path) -> None:
    path, _ = material.speech_over_pad(folder, "cached", at_s=5.0, gain_db=0, seconds=20.0)
    cache = tmp_path / "voice-cache.json"
    first = VoiceLookup(cache).scan(path)
    copy = tmp_path / "renamed.flac"
    copy.write_bytes(path.read_bytes())
    # a lookup whose model cannot load still answers from the cache: nothing is listened to again
    broken = tmp_path / "broken" / "silero_vad.onnx"
    broken.parent.mkdir()
    broken.write_bytes(b"not a model")
    again = VoiceLookup(cache, model_path=broken).scan(copy)
    assert again == first and first.voice
    assert json.loads(cache.read_text())["model"] == "silero_vad.onnx"


def test_a_scan_told_to_stop_returns_none_and_caches_nothing(folder, tmp_path) -> None:
    lookup = VoiceLookup(tmp_path / "voice-cache.json")
    assert lookup.scan(material.pad(folder / "pad-stop.wav", 30), keep_going=lambda: False) is None
    assert not (tmp_path / "voice-cache.json").exists()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *args], capture_output=True, text=True, timeout=300)


def test_check_analyze_plan_and_analyze_say_where_the_voice_is(folder, tmp_path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    spoken, _ = material.speech_over_pad(folder, "ocean", at_s=SPEECH_AT_S, gain_db=0)
    (music / "02 Ocean.flac").write_bytes(spoken.read_bytes())
    material.drone(music / "01 Drone.wav", 20)
    playlist = tmp_path / "p.yaml"
    playlist.write_text("name: P\ncrossfade: 2s\nphases:\n  - name: onset\n    duration: 50s\n"
                        "    tracks: [music/01 Drone.wav, music/02 Ocean.flac]\n")
    (tmp_path / "data").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n")
    out = _cli("check", "--analyze", "--config", str(config), str(playlist))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{playlist}:6: warning: music/02 Ocean.flac: spoken voice 0:1" in out.stdout
    assert "valid (0 errors, 1 warning)" in out.stdout
    assert "Drone" not in out.stdout
    plan = _cli("plan", "--config", str(config), str(playlist))         # from the cache: plan never listens
    assert "music/02 Ocean.flac: spoken voice 0:1" in plan.stdout
    analyzed = _cli("analyze", "--json", "--config", str(config), str(music / "02 Ocean.flac"))
    assert json.loads(analyzed.stdout)["voice"]["ranges"][0][0] == pytest.approx(SPEECH_AT_S, abs=1.0)
    strict = tmp_path / "strict.yaml"
    strict.write_text(f"data_dir: {tmp_path / 'data'}\nlibrary: {{voice_scan: error}}\n")
    refused = _cli("check", "--analyze", "--config", str(strict), str(playlist))
    assert refused.returncode == 1 and ":6: error: music/02 Ocean.flac: spoken voice" in refused.stdout
    off = tmp_path / "off.yaml"
    off.write_text(f"data_dir: {tmp_path / 'data'}\nlibrary: {{voice_scan: off}}\n")
    quiet = _cli("check", "--analyze", "--config", str(off), str(playlist))
    assert quiet.returncode == 0 and "spoken voice" not in quiet.stdout


def test_a_read_only_or_damaged_cache_costs_a_listen_never_an_answer(model, folder, tmp_path) -> None:
    path, _ = material.speech_over_pad(folder, "ro", at_s=4.0, gain_db=0, seconds=15.0)
    damaged = tmp_path / "voice-cache.json"
    damaged.write_text("{not json")
    assert VoiceLookup(damaged).scan(path).voice                      # heard afresh, the cache rewritten
    assert json.loads(damaged.read_text())["files"]
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be: no write succeeds, even as root")
    lookup = VoiceLookup(not_a_folder / "voice-cache.json")
    assert lookup.scan(path).voice and lookup.scan(path).voice        # twice in a row: no save, no error
