"""Fixtures: a music folder of small real files, and the shipped playlists with the demo library."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.audio_files import make_clinic, shipped_playlists


@pytest.fixture(scope="session")
def shipped(pytestconfig) -> list[Path]:
    return shipped_playlists(pytestconfig.cache.mkdir("session-player-shipped-playlists"))


@pytest.fixture
def clinic(tmp_path) -> Path:
    return make_clinic(tmp_path)
