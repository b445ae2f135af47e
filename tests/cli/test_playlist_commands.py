"""`check`, `plan` and `demo-audio` end to end, through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from player.demo_audio import DEMO_TRACKS
from tests.support.audio_files import link_or_copy, shipped_playlists


@pytest.fixture(scope="module")
def shipped(pytestconfig) -> list[Path]:
    return shipped_playlists(pytestconfig.cache.mkdir("session-player-shipped-playlists"))


def cli(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_check_every_shipped_playlist_exits_0(shipped):
    result = cli("check", *shipped)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in shipped:
        assert f"{path}: valid (0 errors" in result.stdout


def test_check_reports_file_line_and_exits_1_when_any_is_invalid(shipped, tmp_path):
    bad = shipped[0].parent / "cli-broken.yaml"
    bad.write_text("name: Broken\ncrosfade: 8s\nphases:\n  - name: onset\n    duration: 1m\n"
                   "    tracks: [demo-audio/onset/1-openin.ogg]\n")
    result = cli("check", shipped[0], bad)
    assert result.returncode == 1
    assert f"{bad}:2: error: unknown key 'crosfade' in the playlist (did you mean 'crossfade'?)" in result.stdout
    assert (f"{bad}:6: error: file not found: demo-audio/onset/1-openin.ogg (did you mean '1-opening.ogg'?)"
            in result.stdout)
    assert f"{bad}: invalid (2 errors, 0 warnings)" in result.stdout
    quiet = cli("check", "--quiet", bad, shipped[0])
    assert quiet.returncode == 1 and len(quiet.stdout.splitlines()) == 2


def test_check_usage_errors_exit_2():
    assert cli("check").returncode == 2
    assert cli("check", "--bogus", "x.yaml").returncode == 2


def test_check_missing_playlist_file(tmp_path):
    result = cli("check", tmp_path / "nope.yaml")
    assert result.returncode == 1
    assert f"{tmp_path / 'nope.yaml'}:1: error: cannot read playlist" in result.stdout


def test_plan_text_with_clock_times(shipped):
    [demo] = [p for p in shipped if p.name == "demo.yaml"]
    result = cli("plan", demo, "--start", "09:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == "Demo session (3.5 minutes): 3:30 in 5 phase(s)"
    for name in ("SETTLING", "ONSET", "PEAK", "COMEDOWN", "RECOVERY"):
        assert name in out
    assert "09:00:00" in out and "09:03:30  END" in out
    assert "demo-audio/peak/1-long-drone.flac" in out and "crossfade at" in out


def test_plan_json_shape_and_warnings_on_stderr(shipped):
    [iv] = [p for p in shipped if p.name == "iv-ketamine-40min.yaml"]
    result = cli("plan", iv, "--json", "--start", "14:30")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["name"] == "IV ketamine, 40 min infusion" and data["total_s"] == 7200 and data["start"] == "14:30"
    assert [p["name"] for p in data["phases"]] == ["settling", "onset", "build", "peak", "comedown", "recovery"]
    assert [p["start_s"] for p in data["phases"]] == [0, 600, 1500, 2400, 3600, 4800]
    first = data["phases"][0]["tracks"][0]
    assert first == {**first, "file": "demo-audio/settling/1-warm-pad.flac", "start_s": 0, "duration_s": 30}
    assert "will loop" in result.stderr


def test_plan_of_an_invalid_playlist_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nphases: []\n")
    result = cli("plan", bad)
    assert result.returncode == 1
    assert f"{bad}:2: error: 'phases' must be a non-empty list of phases, got an empty list" in result.stdout


def test_plan_rejects_a_bad_clock_time(shipped):
    result = cli("plan", shipped[0], "--start", "25:99")
    assert result.returncode == 2 and "HH:MM" in result.stderr


def test_demo_audio_writes_only_missing_files(shipped, tmp_path):
    library = shipped[0].parent / "demo-audio"
    for spec in DEMO_TRACKS[1:]:
        link_or_copy(library / spec.relative, tmp_path / "lib" / spec.relative)
    result = cli("demo-audio", tmp_path / "lib")
    assert result.returncode == 0, result.stderr
    assert f"{len(DEMO_TRACKS)} demo tracks in {tmp_path / 'lib'} (1 new)" in result.stdout
    assert (tmp_path / "lib" / DEMO_TRACKS[0].relative).stat().st_size > 10_000
    again = cli("demo-audio", tmp_path / "lib")
    assert "(0 new)" in again.stdout


def test_demo_audio_needs_a_directory():
    assert cli("demo-audio").returncode == 2
