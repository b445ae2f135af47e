"""The import measures every track once (cached for the sessions) and names those that lower the session (issue 22)."""

from __future__ import annotations

import json

from player.usb.importer import import_stick
from player.usb.plan import render_text
from tests.audio.signals import pink_noise
from tests.cli.test_level_notes import spiky_quiet
from tests.usb.conftest import playlist_yaml


def test_the_import_report_names_a_track_that_lowers_the_session_and_caches_every_measurement(stick, config):
    (stick.playlists / "quiet").mkdir()
    spiky_quiet(stick.playlists / "quiet" / "02.flac")
    pink_noise(stick.playlists / "quiet" / "01.flac", 5.0, -20, seed=3)
    stick.playlist("quiet.yaml", playlist_yaml("quiet/01.flac", "quiet/02.flac", name="Quiet"))
    report = import_stick(stick.root, config)
    assert report["result"] == "imported"
    notes = report["levels"]["playlists/quiet.yaml"]
    assert len(notes) == 1 and notes[0].startswith("settling/02 is ") and "the session plays" in notes[0], notes
    assert "playlists/calm.yaml" not in report["levels"]          # its tracks reach the cap's level
    assert f"LEVEL playlists/quiet.yaml: {notes[0]}" in render_text(report)
    cache = json.loads((config.data_dir / "loudness-cache.json").read_text())
    assert len(cache["files"]) == 4                               # calm/a, calm/b, quiet/01, quiet/02: measured once


def test_the_level_notes_use_the_playlists_the_probe_gate_parsed(stick, config):
    """Review finding: `_level_notes` parsed every staged playlist again; it now takes the probed one."""
    from player.playlist.validate import load_playlist

    calls: list[tuple[str, bool]] = []

    def counting(path, probe=False):
        calls.append((str(path), probe))
        return load_playlist(path, probe=probe)

    (stick.playlists / "quiet").mkdir()
    spiky_quiet(stick.playlists / "quiet" / "02.flac")
    stick.playlist("quiet.yaml", playlist_yaml("quiet/02.flac", name="Quiet"))
    report = import_stick(stick.root, config, loader=counting)
    assert report["result"] == "imported" and report["levels"]["playlists/quiet.yaml"]
    staged = [c for c in calls if str(stick.root) not in c[0]]
    assert staged and all(probe for _, probe in staged), calls    # once staged, only the probe gate's parses
