"""One number check for every edge: a real, finite number that fits a float, or nothing.

JSON and YAML hand over whatever a peer wrote: ``true``, ``1e400`` (inf), ``NaN``, or a
401-digit integer, on which ``math.isfinite`` and ``float`` raise OverflowError. Every edge
(control arguments, the web API, MQTT controls, the station reading a chair's status, saved
state, reports) asks `finite` and so refuses the same things the same way, never with a
traceback.
"""

from __future__ import annotations

import math

_SHOWN_CHARS = 24


def finite(value: object) -> float | None:
    """`value` as a float when it is an int or float (not a bool) that is finite as a float; else None.

    Never raises: an integer too large for a float is None, like inf and NaN.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def shown(value: object) -> str:
    """`value` for an error message, cut short: a 401-digit integer does not fill the log or the answer."""
    if isinstance(value, int) and not isinstance(value, bool) and finite(value) is None:
        return "an integer too large for a number"
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 3] + "..."


def json_numbers_checked(value: object) -> object:
    """A parsed JSON value with every number `finite` refuses (NaN, inf, a 401-digit integer) made None.

    For what a peer says about itself (a chair's status at the station): the rest of the
    program, and ``json.dumps(allow_nan=False)`` on the way out, then only meet real numbers.

    Raises:
        RecursionError: nested past Python's stack (treat it as unreadable).
    """
    if isinstance(value, dict):
        return {k: json_numbers_checked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_numbers_checked(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and finite(value) is None:
        return None
    return value
