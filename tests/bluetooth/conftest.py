"""The fake radio (tests/bluetooth/radio.py) as a fixture: a fresh private system bus per test."""

from __future__ import annotations

import pytest

from tests.bluetooth.radio import Radio, missing_tools


@pytest.fixture
def radio(monkeypatch):
    missing = missing_tools()
    if missing:
        pytest.skip(f"no fake Bluetooth without {', '.join(missing)} (./bootstrap.sh test installs them)")
    radio = Radio().start()
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", radio.address)
    try:
        yield radio
    finally:
        radio.stop()
