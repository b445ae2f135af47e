"""Shared pytest setup. Area fixtures live in each tests/<area>/conftest.py; the real-audio
harness (virtual sound card) lives in tests/support/ and its fixture here, so every area
(audio engine, session engine, daemon) can measure what really reaches the device."""

from __future__ import annotations

import pytest

from tests.support.audio_sink import AudioSink, missing_tools
from tests.support.privileges import header_lines


def pytest_report_header(config) -> list[str]:
    """Say who runs the suite and which privileged tests that means (CI prints it first)."""
    return header_lines()


@pytest.fixture(scope="session")
def audio_sink():
    """A running virtual sound card (PulseAudio null sink); skips only if the tools are absent."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"real audio unavailable, missing: {', '.join(missing)} (./bootstrap.sh test installs them)")
    sink = AudioSink()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_SERVER", sink.start())
        try:
            yield sink
        finally:
            sink.stop()
