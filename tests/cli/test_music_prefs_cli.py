"""Music preferences from a shell: `plan --avoid/--preferences` flags tracks, `start --avoid/--quieter/--preferences`
records them through the real daemon's socket, and a bad preferences.yaml is named by FILE:LINE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from player.daemon import Daemon
from player.engine.eventlog import read_events
from tests.engine.conftest import daemon_config
from tests.support.audio_files import write_audio

CLI = [sys.executable, "-m", "player.cli"]
PLAYLIST = """\
name: Evening
crossfade: 1s
calmer: [music/c.flac]
phases:
  - name: settling
    duration: 2m
    tracks: [music/a.flac, music/b.flac]
  - name: peak
    duration: 2m
    tracks: [music/c.flac]
"""


def cli(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def playlist(tmp_path: Path) -> Path:
    write_audio(tmp_path / "pl/music/a.flac", 70.0, tags={"TITLE": "Kyrie", "GENRE": "Sacred; Choral"})
    write_audio(tmp_path / "pl/music/b.flac", 70.0, tags={"TITLE": "Open Sky", "ALBUM": "Piano Works"})
    write_audio(tmp_path / "pl/music/c.flac", 130.0, tags={"TITLE": "Drift", "ARTIST": "Choirboys"})
    path = tmp_path / "pl/evening.yaml"
    path.write_text(PLAYLIST)
    return path


def test_plan_flags_the_tracks_whose_tags_match_and_changes_nothing(playlist: Path) -> None:
    before = playlist.read_bytes()
    out = cli("plan", playlist, "--avoid", "religious", "--avoid", "PIANO", "--avoid", "harp")
    assert out.returncode == 0, out.stderr
    assert "music preferences: avoid religious, piano, harp" in out.stdout
    assert 'FLAGGED music/a.flac: genre "Sacred; Choral" has "Sacred" (avoid: religious)' in out.stdout
    assert 'FLAGGED music/b.flac: album "Piano Works" has "Piano" (avoid: piano)' in out.stdout
    assert "music/c.flac" not in out.stdout.split("music preferences:")[1]
    assert "2 track(s) flagged: choose another playlist, or listen first" in out.stdout
    assert playlist.read_bytes() == before

    data = json.loads(cli("plan", playlist, "--avoid", "choir", "--json").stdout)
    assert data["avoid"] == ["choir"]
    assert data["music_flags"] == [{"file": "music/a.flac", "tag": "genre", "text": "Sacred; Choral", "word": "Choral",
                                    "item": "choir", "says": 'genre "Sacred; Choral" has "Choral" (avoid: choir)'}]
    assert "music_flags" not in json.loads(cli("plan", playlist, "--json").stdout)   # nothing asked: no key

    none = cli("plan", playlist, "--avoid", "drums")
    assert "no track's title, artist, album, genre or comment matches (3 file(s) checked" in none.stdout


def test_a_preferences_file_is_read_with_lines_for_every_error(tmp_path: Path, playlist: Path) -> None:
    good = tmp_path / "preferences.yaml"
    good.write_text("avoid: [piano]\nloudness: quieter\n")
    out = cli("plan", playlist, "--preferences", good, "--avoid", "choir")
    assert out.returncode == 0, out.stderr
    assert "music preferences: avoid piano, choir; quieter" in out.stdout and "FLAGGED music/b.flac" in out.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text("avoid:\n  - choir\n  - [nested]\nloudness: loud\ncolour: blue\n")
    out = cli("plan", playlist, "--preferences", bad)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"session-player: error: {bad}:3: error: each item to avoid is a word or two of at most 40 characters",
        f"{bad}:4: error: loudness must be one of as_planned, quieter",
        f"{bad}:5: error: preferences take avoid and loudness only, not colour"]
    big = tmp_path / "big.yaml"
    big.write_text("avoid: [" + "a, " * 10_000 + "b]\n")
    out = cli("plan", playlist, "--preferences", big)
    assert out.returncode == 1 and f"{big}:1: error: not a preferences file: file is" in out.stderr
    out = cli("plan", playlist, "--preferences", tmp_path / "missing.yaml")
    assert out.returncode == 1 and "cannot read the preferences file: No such file or directory" in out.stderr
    out = cli("plan", playlist, "--preferences", tmp_path)
    assert out.returncode == 1 and "not a regular file" in out.stderr


def test_start_records_the_preferences_through_the_real_daemon(tmp_path: Path, playlist: Path) -> None:
    data = tmp_path / "data"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(daemon_config(data)))
    prefs = tmp_path / "preferences.yaml"
    prefs.write_text("avoid: [religious]\n")
    with Daemon(cfg) as daemon:
        refused = cli("start", playlist, "--avoid", "x" * 41, "--config", cfg)
        assert refused.returncode != 0 and "at most 40 characters" in refused.stderr
        assert daemon.status()["state"] == "idle"
        out = cli("start", playlist, "--preferences", prefs, "--avoid", "Choir", "--quieter", "--config", cfg)
        assert out.returncode == 0, out.stderr
        st = daemon.status()
        sid, level = st["session_id"], st["volume_db"]
        assert cli("stop", "--config", cfg).returncode == 0
    records = read_events(data / "sessions" / sid / "events.jsonl")
    types = [r["type"] for r in records]
    assert types.index("music_preferences") == types.index("session_started") + 1
    rec = records[types.index("music_preferences")]
    planned = records[types.index("session_started")]["details"]["default_db"]
    assert rec["source"] == "cli"
    assert rec["details"] == {"avoid": ["religious", "choir"], "loudness": "quieter", "level_db": planned - 6.0}
    assert level == pytest.approx(planned - 6.0)
    report = cli("report", sid, "--format", "json", "--config", cfg)
    assert json.loads(report.stdout)["music_preferences"]["avoid"] == ["religious", "choir"]


def test_a_quieter_session_stays_quieter_after_a_restart_of_the_daemon(tmp_path: Path, playlist: Path) -> None:
    from player.clock import FakeClock
    from player.control import send_request

    clock = FakeClock()
    config = daemon_config(tmp_path / "data", session={"resume_policy": "continue"})
    with Daemon(config, clock=clock) as daemon:
        st = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist),
                                                      "preferences": {"loudness": "quieter"}})
        quieter = st["volume_db"]
        clock.advance(30)
    clock.advance(5)
    with Daemon(config, clock=clock) as daemon:
        st = daemon.status()
        assert st["session_id"] and st["state"] == "playing"
        assert st["volume_db"] == pytest.approx(quieter)      # not back up to the planned level
    records = read_events(tmp_path / "data" / "sessions" / st["session_id"] / "events.jsonl")
    assert [r["type"] for r in records].count("music_preferences") == 1    # asked once, not again on restart
    planned = next(r for r in records if r["type"] == "session_started")["details"]["default_db"]
    assert quieter == pytest.approx(planned - 6.0)
