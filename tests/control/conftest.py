"""Fixtures shared with the session tests."""

from tests.session.conftest import demo_playlist  # noqa: F401
