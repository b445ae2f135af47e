"""`session-player playlists [--json]` and `report ID --format music`, through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from player.reports.music import heard_files, render_music
from tests.support.audio_files import write_audio
from tests.support.records_factory import SessionLogBuilder


def cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"room": "Room 3", "data_dir": str(tmp_path / "data")}))
    return path


def library(tmp_path: Path) -> Path:
    """A current library generation with a valid playlist (calmer music, two checkpoints) and a broken one."""
    gen = tmp_path / "data" / "library" / "gen-000001"
    for name in ("a", "b", "calm"):
        write_audio(gen / "music" / f"{name}.flac", 90.0, tags={"title": f"Song {name.upper()}", "artist": "Band"})
    (gen / "iv-ketamine.yaml").write_text(
        "name: IV ketamine 40 min\ncrossfade: 4s\ncalmer: [music/calm.flac]\nphases:\n"
        "  - name: settling\n    duration: 5m\n    tracks: [music/a.flac]\n"
        "  - name: peak\n    duration: 35m\n    tracks: [music/b.flac]\n")
    (gen / "broken.yaml").write_text("name: Broken\nphases:\n  - name: peak\n    duration: 5m\n"
                                     "    tracks: [music/nope.flac]\ncheckpoints:\n  - {at: 40m, text: BP}\n"
                                     "  - {at: 60m, text: BP}\n")
    os.symlink("gen-000001", tmp_path / "data" / "library" / "current")
    return gen


def test_playlists_json_lists_each_with_length_phases_checkpoints_and_validity(tmp_path: Path, config: Path) -> None:
    gen = library(tmp_path)
    out = cli("playlists", "--json", "--config", config)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)["playlists"]}
    assert list(rows) == ["broken", "iv-ketamine"]
    good = rows["iv-ketamine"]
    assert good == {"name": "iv-ketamine", "title": "IV ketamine 40 min", "duration_s": 2400.0,
                    "phases": ["settling", "peak"], "checkpoints": 0, "calmer": True, "valid": True, "error": None,
                    "warnings": good["warnings"], "voice": good["voice"]}
    bad = rows["broken"]
    assert bad["valid"] is False and bad["checkpoints"] == 2 and bad["duration_s"] is None
    assert bad["error"].startswith(f"{gen / 'broken.yaml'}:")          # FILE:LINE: error: ...
    text = cli("playlists", "--config", config)
    assert text.returncode == 0
    assert "iv-ketamine  IV ketamine 40 min  40:00  2 phase(s): settling, peak; 0 checkpoint(s), calmer music" \
        in text.stdout
    assert "broken  INVALID" in text.stdout


def test_playlists_without_a_library_says_how_to_get_one(config: Path) -> None:
    out = cli("playlists", "--config", config)
    assert out.returncode == 0 and "import a stick" in out.stdout
    assert json.loads(cli("playlists", "--json", "--config", config).stdout) == {"playlists": []}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self._li = False
        self._ol = False    # the music list's items (the take-home section's lists are the clinic's texts)

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self._ol = self._ol or tag == "ol"
        if tag == "li" and self._ol:
            self._li = True
            self.items.append("")

    def handle_endtag(self, tag) -> None:
        if tag == "li":
            self._li = False
        if tag == "ol":
            self._ol = False

    def handle_data(self, data) -> None:
        self.text.append(data)
        if self._li:
            self.items[-1] += data


def test_report_format_music_lists_titles_and_artists_in_play_order_and_nothing_clinical(
        tmp_path: Path, config: Path) -> None:
    gen = library(tmp_path)
    b = SessionLogBuilder()
    b.add(0.0, "session_started", "cli", playlist="IV ketamine 40 min", playlist_path=str(gen / "iv-ketamine.yaml"),
          room="Room 3", max_db=-6.0, start_db=-20.0, default_db=-12.0, resume_policy="continue", phases=[])
    for at, file, extra in ((0.5, "music/a.flac", {}), (300.0, "music/b.flac", {}),
                            (600.0, "music/calm.flac", {"calmer": True}), (900.0, "music/b.flac", {}),
                            (950.0, "music/gone.flac", {})):
        b.add(at, "track_started", phase="peak", file=file, **extra)
    b.add(1000.0, "marked", "web", text="BP 150/95 distressed")
    b.add(1200.0, "session_ended", "web", reason="stopped")
    b.write(tmp_path / "data")
    out = cli("report", b.session_id, "--format", "music", "--config", config)
    assert out.returncode == 0, out.stderr
    page = _Text()
    page.feed(out.stdout)
    # each once, in the order first heard; a file that is gone: its name
    assert page.items == ["Song A — Band", "Song B — Band", "Song CALM — Band", "gone"]
    shown = "".join(page.text)
    for private in ("Room 3", "room-3", "2026", "09:", "ketamine", "BP", "150/95", b.session_id, "stopped"):
        assert private.lower() not in shown.lower(), private
    assert "script" not in page.tags and "Your session's music" in shown


def test_the_music_page_escapes_tags_and_says_when_nothing_was_heard() -> None:
    page = render_music([{"title": "<b>x</b>", "artist": "A & B"}])
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "A &amp; B" in page and "<b>" not in page
    assert "No music was recorded" in render_music([])
    assert heard_files({"events": [{"type": "track_started", "details": {"file": "x"}}, {"type": "marked"},
                                   "junk", {"type": "track_started", "details": "odd"}]}) == ["x"]


def test_plan_names_the_calmer_music_of_each_phase(tmp_path: Path) -> None:
    gen = library(tmp_path)
    data = json.loads(cli("plan", gen / "iv-ketamine.yaml", "--json").stdout)
    assert data["calmer"] == [{"phase": "settling", "files": ["music/calm.flac"]},
                              {"phase": "peak", "files": ["music/calm.flac"]}]
    text = cli("plan", gen / "iv-ketamine.yaml").stdout
    assert "calmer music in peak: music/calm.flac" in text
