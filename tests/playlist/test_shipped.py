"""Every playlist shipped in playlists/ passes `check` against the generated demo library."""

from __future__ import annotations

import pytest

from player.playlist.model import KNOWN_PHASES
from player.playlist.plan import plan_session
from player.playlist.validate import check_playlist, load_playlist
from tests.support.audio_files import PLAYLISTS

NAMES = sorted(p.name for p in PLAYLISTS.glob("*.yaml"))


def test_the_promised_playlists_are_shipped():
    assert {"demo.yaml", "iv-ketamine-40min.yaml", "im-ketamine.yaml", "esketamine-nasal.yaml"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_shipped_playlist_has_no_errors(shipped, name):
    [path] = [p for p in shipped if p.name == name]
    diagnostics = check_playlist(path)
    assert not [d for d in diagnostics if d.severity == "error"], "\n".join(map(str, diagnostics))
    playlist = load_playlist(path)
    assert all(p.name in KNOWN_PHASES for p in playlist.phases)
    assert playlist.phases[0].fade_in_s and playlist.phases[-1].fade_out_s
    plan_session(playlist)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "demo.yaml"])
def test_templates_explain_their_timing(name):
    text = (PLAYLISTS / name).read_text()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) >= 10 and "Timing" in text and "demo-audio" in text


def test_demo_session_is_short_and_has_every_phase(shipped):
    [path] = [p for p in shipped if p.name == "demo.yaml"]
    playlist = load_playlist(path)
    assert [p.name for p in playlist.phases] == ["settling", "onset", "peak", "comedown", "recovery"]
    assert 180 <= plan_session(playlist).total_s <= 240
    assert playlist.crossfade_s == 6 and playlist.warnings == ()


@pytest.mark.parametrize(("name", "minutes"), [("iv-ketamine-40min.yaml", 120), ("im-ketamine.yaml", 100),
                                               ("esketamine-nasal.yaml", 130)])
def test_template_lengths(shipped, name, minutes):
    [path] = [p for p in shipped if p.name == name]
    assert load_playlist(path).total_s == minutes * 60


def test_packaged_demo_playlist_is_the_shipped_one():
    """`session-player demo` plays a packaged copy (player/data/demo.yaml); it must not drift."""
    packaged = PLAYLISTS.parent / "player" / "data" / "demo.yaml"
    if not packaged.exists():
        pytest.skip("no packaged demo playlist")
    assert packaged.read_text() == (PLAYLISTS / "demo.yaml").read_text()
