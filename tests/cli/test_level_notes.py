"""`analyze`, `check` and `plan` name each track that lowers the session's level (issue 22), end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import soundfile as sf

from tests.audio.signals import RATE, pink_noise

PLAYLIST = "name: Quiet\ncrossfade: 2s\nphases:\n  - name: onset\n    duration: 60s\n    tracks: [{}]\n"
NOTE = re.compile(r"(\S+) is (\d+) LU below target: the session plays (\d+\.\d) dB quieter to keep it even")


def cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def spiky_quiet(path: Path) -> Path:
    """Pink noise at about -38 LUFS with one click at -10 dBFS: it needs about +20 dB, its peak allows only +9."""
    pink_noise(path, 8.0, -40, seed=7)
    data, _ = sf.read(path)
    data[RATE * 4] = 10 ** (-10 / 20)
    sf.write(path, data, RATE)
    return path


def test_analyze_then_check_and_plan_say_what_a_quiet_dynamic_track_costs(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    config = tmp_path / "config.yaml"       # no voice scan: analyze prints one line per file, then the notes
    config.write_text(f"data_dir: {tmp_path / 'data'}\nlibrary: {{voice_scan: 'off'}}\n")
    quiet = spiky_quiet(tmp_path / "quiet.flac")
    loud = pink_noise(tmp_path / "loud.flac", 8.0, -20, seed=8)
    result = cli("analyze", "--config", config, quiet, loud)
    assert result.returncode == 0, result.stdout + result.stderr
    found = NOTE.search(result.stdout)
    assert found and found.group(1) == str(quiet), result.stdout
    below, cost = int(found.group(2)), float(found.group(3))
    assert 18 <= below <= 21 and 4.0 <= cost <= 6.0   # heard at most -6 - cost dB: its peak allows +9 of ~+20 dB
    assert f"heard up to {-6 - cost:+5.1f} dB" in result.stdout
    notes = [line for line in result.stdout.splitlines() if NOTE.search(line)]
    assert len(notes) == 1 and str(loud) not in notes[0]      # only the track that costs something is named

    playlist = tmp_path / "p.yaml"
    playlist.write_text(PLAYLIST.format("loud.flac, quiet.flac"))
    result = cli("check", "--config", config, playlist)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{playlist}: level: onset/02 is {below} LU below target: the session plays {cost:.1f} dB quieter" \
        in result.stdout                            # from the chair's loudness cache: nothing measured again
    result = cli("plan", "--config", config, playlist)
    assert f"level: onset/02 is {below} LU below target: the session plays {cost:.1f} dB quieter" in result.stdout


def test_check_names_nothing_while_the_loudness_is_unknown(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n")
    spiky_quiet(tmp_path / "quiet.flac")
    playlist = tmp_path / "p.yaml"
    playlist.write_text(PLAYLIST.format("quiet.flac"))
    result = cli("check", "--config", config, playlist)
    assert result.returncode == 0 and "level:" not in result.stdout, result.stdout
