"""Parse and format the human durations used in playlists and config.

Accepted: ``90`` (seconds, int or float), ``"90s"``, ``"10m"``, ``"1h5m"``, ``"1h 5m 30s"``,
``"1.5s"``, ``"1:30"`` (m:ss), ``"1:30:00"`` (h:mm:ss).
"""

from __future__ import annotations

import math
import re

_UNIT_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|h|m|s)\s*")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: object) -> float:
    """Return seconds as a float.

    Raises:
        ValueError: with a short message saying what forms are accepted.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 90s, 10m or 1:30:00, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = _to_float(value, "duration")
    elif isinstance(value, str):
        seconds = _parse_text(value.strip())
    else:
        raise ValueError(f"expected a duration such as 90s, 10m or 1:30:00, got {type(value).__name__}")
    if not math.isfinite(seconds):
        raise ValueError(f"duration must be finite, got {value!r}")
    return seconds


def _to_float(value: int | float, what: str) -> float:
    """float(), but a huge YAML integer (10**400) is a ValueError, not an OverflowError."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{what} is far too large: {str(value)[:20]}...") from None


def _parse_text(text: str) -> float:
    bad = ValueError(f"cannot read duration {text!r}: use 90, 90s, 10m, 1h5m or 1:30:00")
    if not text:
        raise bad
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    if ":" in text:
        parts = text.split(":")
        if len(parts) > 3 or not all(re.fullmatch(r"\d+(\.\d+)?", p) for p in parts):
            raise bad
        if any("." in p for p in parts[:-1]) or any(float(p) >= 60 for p in parts[1:]):
            raise bad
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
        return seconds
    negative = text.startswith("-")
    body = text[1:] if negative else text
    pos, total, seen = 0, 0.0, set()
    for m in _UNIT_RE.finditer(body):
        if m.start() != pos or m.group(2) in seen:
            raise bad
        seen.add(m.group(2))
        total += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    if pos != len(body) or not seen:
        raise bad
    return -total if negative else total


def format_duration(seconds: float) -> str:
    """Format seconds as ``H:MM:SS`` (or ``M:SS`` under an hour), rounding to the second; ``?`` if not finite."""
    if not math.isfinite(seconds):
        return "?"
    sign = "-" if seconds < 0 else ""
    total = int(round(abs(seconds)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


def parse_gain_db(value: object) -> float:
    """Parse a gain such as ``-2dB``, ``"-2 dB"``, ``-2`` or ``1.5``; returns dB."""
    if isinstance(value, bool):
        raise ValueError(f"expected a gain such as -2dB, got {value!r}")
    if isinstance(value, (int, float)):
        gain = _to_float(value, "gain")
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?)\s*(?:db|dB|DB|Db)?\s*", value)
        if not m:
            raise ValueError(f"cannot read gain {value!r}: use a number of decibels such as -2dB")
        gain = float(m.group(1))
    else:
        raise ValueError(f"expected a gain such as -2dB, got {type(value).__name__}")
    if not math.isfinite(gain):
        raise ValueError(f"gain must be finite, got {value!r}")
    return gain
