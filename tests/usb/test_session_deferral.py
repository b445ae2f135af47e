"""Deferral against the real session engine: its state file defers the import, and
`PendingApplier` applies it when the session ends; the running session keeps its files."""

from __future__ import annotations

import json
import os
import threading

from player.clock import FakeClock
from player.playlist.validate import load_playlist
from player.session.engine import SessionEngine
from player.session.fake_controller import FakeController
from player.session.states import is_active
from player.usb import PendingApplier, import_stick
from tests.support.spy_mixer import SpyMixer


def test_import_during_a_real_session_is_applied_when_it_ends(stick, config):
    import_stick(stick.root, config)
    library = config.data_dir / "library"
    clock = FakeClock()
    engine = SessionEngine(config, SpyMixer(config, clock), clock, load_playlist=load_playlist)
    engine.start()
    applied = threading.Event()
    applier = PendingApplier(engine, config, on_applied=lambda name: applied.set(), recheck_s=0.2)
    try:
        status = engine.submit("start", source="cli", playlist=str(library / "current" / "calm.yaml"))
        assert status["state"] == "playing"
        stick.audio("calm/c.flac", 7.0)
        report = import_stick(stick.root, config)  # reads the engine's own state.json
        assert report["result"] == "deferred"
        assert os.readlink(library / "current") == "gen-000001"
        applier.start()
        assert not applied.wait(0.5)  # still playing: nothing applied
        engine.submit("stop", source="cli")
        assert applied.wait(10)
        assert os.readlink(library / "current") == "gen-000002"
        assert (library / "gen-000001" / "calm" / "a.flac").exists()  # kept as previous
    finally:
        applier.close()
        engine.close()
    applier.close()  # idempotent


def test_controller_decides_deferral_in_process(stick, config):
    controller = FakeController()
    controller.submit("start", source="cli", playlist="x.yaml")
    report = import_stick(stick.root, config, session_active=lambda: is_active(controller.status()["state"]))
    assert report["result"] == "deferred"
    applied = threading.Event()
    with PendingApplier(controller, config, on_applied=lambda name: applied.set(), recheck_s=0.2):
        assert not applied.wait(0.3)
        controller.submit("stop", source="cli")
        assert applied.wait(10)
    assert os.readlink(config.data_dir / "library" / "current") == "gen-000001"


def test_generation_of_a_saved_session_survives_cleanup(stick, config):
    import_stick(stick.root, config)
    library = config.data_dir / "library"
    (config.data_dir / "state.json").write_text(json.dumps(
        {"state": "paused", "playlist_path": str(library / "gen-000001" / "calm.yaml")}))
    for seconds in (7.0, 8.0):  # two deferred imports: gen-000001 would otherwise be unnamed
        stick.audio("calm/c.flac", seconds)
        import_stick(stick.root, config)
    (config.data_dir / "state.json").write_text(json.dumps(
        {"state": "ended", "playlist_path": str(library / "gen-000001" / "calm.yaml")}))
    stick.audio("calm/d.flac", 9.0)
    import_stick(stick.root, config)
    assert (library / "gen-000001" / "calm" / "a.flac").exists()
