"""Bedside hardware: staff button gestures, volume knob or buttons, status LED (gpiozero)."""

from player.hardware.bedside import Bedside

__all__ = ["Bedside"]
