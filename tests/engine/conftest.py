"""Fixtures for daemon tests: a real demo library and playlist, made once per test run."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from player.demo_audio import generate_demo_library


@pytest.fixture(scope="session")
def demo_playlist(tmp_path_factory) -> Path:
    """The embedded demo playlist beside a generated demo library (real audio files)."""
    root = tmp_path_factory.mktemp("demo")
    generate_demo_library(root / "demo-audio")
    path = root / "demo.yaml"
    path.write_text(resources.files("player").joinpath("data/demo.yaml").read_text(encoding="utf-8"))
    return path


def daemon_config(data_dir: Path, **overrides) -> dict:
    """A config for a daemon with the simulated audio output and no GPIO or web page."""
    config = {"room": "Room 3", "data_dir": str(data_dir), "audio": {"output": "fake"},
              "hardware": {"enabled": False}, "web": {"enabled": False}}
    for section, values in overrides.items():
        if isinstance(values, dict):
            config.setdefault(section, {}).update(values)
        else:
            config[section] = values
    return config
