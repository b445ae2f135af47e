"""Deferral against the real session engine and its control socket.

The import asks the running daemon (over its socket) whether a session is running, never
its private state file; the engine makes a deferred import current when the session ends
and records it in that session's log; an import finished between sessions is applied
through the engine too (`PendingApplier` -> ``apply_library``), recorded in the daemon log.
"""

from __future__ import annotations

import json
import os
import threading

from player.clock import FakeClock
from player.control import ControlSocketServer
from player.engine.eventlog import DAEMON_LOG, read_events, session_log_path
from player.engine.loop import SessionEngine
from player.playlist.validate import load_playlist
from player.usb import PendingApplier, apply_pending, import_stick
from tests.support.spy_mixer import SpyMixer


def real_engine(config) -> tuple[SessionEngine, ControlSocketServer]:
    clock = FakeClock()
    engine = SessionEngine(config, SpyMixer(config, clock), clock, load_playlist=load_playlist,
                           apply_pending_library=lambda: apply_pending(config, wait=False))
    engine.start()
    sock = ControlSocketServer(config.socket_path, engine, data_dir=config.data_dir)
    sock.start()
    return engine, sock


def test_import_during_a_session_defers_and_the_engine_applies_it_at_the_end(stick, config):
    import_stick(stick.root, config)
    library = config.data_dir / "library"
    engine, sock = real_engine(config)
    try:
        status = engine.submit("start", source="cli", playlist=str(library / "current" / "calm.yaml"))
        stick.audio("calm/c.flac", 7.0)
        report = import_stick(stick.root, config)       # asks the daemon over its socket
        assert report["result"] == "deferred"
        assert os.readlink(library / "current") == "gen-000001"
        assert (library / "gen-000001" / "calm" / "a.flac").exists()   # the session keeps its files
        engine.submit("stop", source="web")
        assert os.readlink(library / "current") == "gen-000002"
        log = read_events(session_log_path(config.data_dir, status["session_id"]))
        kinds = [r["type"] for r in log]
        assert kinds[-3:] == ["library_changed", "session_ended", "state_changed"]
        assert log[-3]["details"] == {"generation": "gen-000002"} and log[-3]["source"] == "usb"
    finally:
        sock.close()
        engine.close()


def test_an_import_finished_between_sessions_is_applied_through_the_engine(stick, config):
    import_stick(stick.root, config)
    engine, sock = real_engine(config)
    applied = threading.Event()
    try:
        stick.audio("calm/c.flac", 7.0)
        import_stick(stick.root, config, session_active=lambda: True)   # deferred, as if a session ran
        with PendingApplier(engine, config, on_applied=lambda name: applied.set(), recheck_s=0.2):
            assert applied.wait(10)
        assert os.readlink(config.data_dir / "library" / "current") == "gen-000002"
        daemon_log = read_events(config.data_dir / DAEMON_LOG)
        assert [(r["type"], r["source"], r["details"]) for r in daemon_log] == [
            ("library_changed", "usb", {"generation": "gen-000002"})]
    finally:
        sock.close()
        engine.close()


def test_generation_of_a_session_cut_short_survives_cleanup(stick, config):
    import_stick(stick.root, config)
    library = config.data_dir / "library"
    active = config.data_dir / "session-active.json"      # what the daemon publishes while a session runs
    active.write_text(json.dumps({"session_id": "s", "playlist_path": str(library / "gen-000001" / "calm.yaml")}))
    for seconds in (7.0, 8.0):  # two deferred imports (no daemon answers: the file says a session waits)
        stick.audio("calm/c.flac", seconds)
        assert import_stick(stick.root, config)["result"] == "deferred"
    for seconds in (9.0, 10.0):  # then imports that go ahead: gen-000001 is named by no link any more
        stick.audio("calm/d.flac", seconds)
        import_stick(stick.root, config, session_active=lambda: False)
    assert (library / "gen-000001" / "calm" / "a.flac").exists()
