"""Driving a real daemon on a fake clock, and reading back what its session wrote."""

from __future__ import annotations

from pathlib import Path

from player.clock import FakeClock
from player.daemon import Daemon
from player.engine.eventlog import read_events


def to(daemon: Daemon, clock: FakeClock, elapsed_s: float) -> dict:
    """Move the fake clock to that session time and let the engine tick; the status then."""
    clock.advance(elapsed_s - daemon.status()["elapsed_s"])
    assert daemon.controller.sync()
    return daemon.status()


def records(config: dict, session_id: str, *types: str) -> list[dict]:
    """The session's event log as written (only `types`, when given)."""
    log = read_events(Path(config["data_dir"]) / "sessions" / session_id / "events.jsonl")
    return [r for r in log if not types or r["type"] in types]


def playlist_with_tracks(folder: Path, playlist_yaml: str, names: tuple[str, ...] = ("a", "b")) -> Path:
    """`playlist_yaml` as ``folder/p.yaml`` beside a 30 s ``NAME.flac`` for each of `names`."""
    from tests.support.audio_files import write_audio

    for name in names:
        write_audio(folder / f"{name}.flac", 30.0)
    path = folder / "p.yaml"
    path.write_text(playlist_yaml)
    return path
