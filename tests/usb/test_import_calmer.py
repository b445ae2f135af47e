"""The USB import carries a playlist's calmer music with it (the phases' and the playlist-wide)."""

from __future__ import annotations

from player.playlist.validate import load_playlist
from player.usb.importer import import_stick


def test_calmer_music_is_copied_with_the_plan(stick, config):
    stick.audio("calmer/soft.flac", 6.0)
    stick.audio("calmer/peak.flac", 6.0)
    stick.audio("unused/x.flac")
    stick.playlist("calmer.yaml", "name: With calmer music\ncrossfade: 1s\ncalmer: [calmer/soft.flac]\nphases:\n"
                                  "  - name: settling\n    duration: 1m\n    tracks: [calm/a.flac]\n"
                                  "    calmer: [calmer/peak.flac]\n")
    report = import_stick(stick.root, config)
    assert report["result"] == "imported" and report["refusals"] == []
    lib = config.data_dir / "library" / "current"
    assert sorted(str(p.relative_to(lib)) for p in lib.rglob("*.flac")) == [
        "calm/a.flac", "calm/b.flac", "calmer/peak.flac", "calmer/soft.flac"]
    playlist = load_playlist(lib / "calmer.yaml")
    assert [t.path.name for t in playlist.calmer_for(0)] == ["peak.flac"]
    assert [t.path.name for t in playlist.all_tracks] == ["a.flac", "peak.flac", "soft.flac"]
