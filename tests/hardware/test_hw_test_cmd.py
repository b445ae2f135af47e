"""`session-player hw-test`: the installer's wiring check, run on simulated (mock) pins in CI."""

from __future__ import annotations

import importlib.util

import pytest

from player.cli import main

CONFIG = """\
hardware:
  double_press_s: 0.4
  long_press_s: 0.6
  button_stop: confirm
  encoder_pins: [5, 6]
"""


def test_hw_test_on_mock_pins_reports_every_gesture(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    assert main(["hw-test", "--pin-factory", "mock", "--seconds", "30", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "button         BCM 17 (pin 11)" in out and "BCM 27 (pin 13)" in out and "BCM 5 (pin 29)" in out
    assert "button pressed" in out and "button released" in out
    assert "single press -> start; simulated session now playing" in out
    assert "double press -> mark" in out
    assert "hold warning (LED fast blink)" in out and "hold armed" in out
    assert "gesture: long -> asks to end the session" in out
    assert "double press -> stop; simulated session now ended" in out
    assert "volume +1.5 dB" in out and "volume -1.5 dB" in out
    assert "6 control(s) seen" in out


def test_hw_test_with_the_shipped_default_shows_the_button_cannot_end_a_session(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("  button_stop: confirm\n", ""))
    assert main(["hw-test", "--pin-factory", "mock", "--seconds", "30", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "long -> refused: ending a session from the bedside button is off" in out
    assert "simulated session now ended" not in out


def test_hw_test_seconds_zero_stops_at_once(capsys):
    assert main(["hw-test", "--pin-factory", "mock", "--seconds", "0"]) == 0
    assert "hw-test: done" in capsys.readouterr().out


@pytest.mark.skipif(importlib.util.find_spec("lgpio") is not None, reason="lgpio is installed (a Pi?)")
def test_hw_test_without_gpio_is_a_clear_error(capsys):
    assert main(["hw-test", "--pin-factory", "lgpio", "--seconds", "0"]) == 1
    err = capsys.readouterr().err
    assert "session-player: error: cannot load the 'lgpio' GPIO pin factory" in err
    assert "Traceback" not in err


def test_hw_test_bad_config_is_an_error(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("hardware:\n  button_pin: 99\n")
    assert main(["hw-test", "--pin-factory", "mock", "--seconds", "0", "--config", str(config)]) == 1
    assert "button_pin" in capsys.readouterr().err
