"""Fixtures shared with the session tests."""

from tests.engine.conftest import demo_playlist  # noqa: F401
