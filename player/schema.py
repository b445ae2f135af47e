"""Typed config fields: each field's type written once, checked by one generic parser.

A field of a config section is declared as ``Annotated[type, marker..., "what it does"]``
with its default, e.g. ``max_db: Annotated[float, Range(-60, 0), "hard cap"] = -6.0``. The
type says what a value is (``float``, ``int``, ``bool``, ``str``, ``Path``, a ``Literal`` of
choices, ``tuple[str, ...]``, ``X | None``); the markers bound it (`Range`, `Seconds`,
`Text`, `Items`) or give a value its own parser (`Parse`); the string is the field's line in
``session-player config --defaults`` and docs/technician.md. `parse_value` reads all three,
so nothing about a field is written twice. Standard library only (Debian 12 has pydantic v1).
"""

from __future__ import annotations

import functools
import math
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Annotated, Literal, Union

from player.durations import parse_duration
from player.oneline import is_one_line


@dataclass(frozen=True)
class Range:
    """A number's bounds, both included (a whole number's when the type is ``int``)."""

    lo: float = -math.inf
    hi: float = math.inf


@dataclass(frozen=True)
class Seconds:
    """A duration (``90``, ``"1m30s"``, ``"45s"``) in seconds, between `lo` and `hi`."""

    lo: float = 0.0
    hi: float = 24 * 3600.0


@dataclass(frozen=True)
class Text:
    """One non-empty line of at most `max_len` characters (a plain ``str`` field: 200)."""

    max_len: int = 200


@dataclass(frozen=True)
class Items:
    """A list of at most `max_items` distinct one-line texts (a ``tuple[str, ...]`` field)."""

    max_items: int


@dataclass(frozen=True)
class Parse:
    """A value with a parser of its own (a size, a URL, a mapping); `parse` raises a short ValueError."""

    parse: Callable[[object], object]


@dataclass(frozen=True)
class Key:
    """One config key of a section: its name, type (with markers), default and what it does."""

    name: str
    kind: object
    default: object
    doc: str


def _number(value: object, bounds: Range) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    if not math.isfinite(value) or not bounds.lo <= value <= bounds.hi:
        raise ValueError(f"must be between {bounds.lo:g} and {bounds.hi:g}, got {value!r}")
    return float(value)


def _seconds(value: object, bounds: Seconds) -> float:
    seconds = parse_duration(value)
    if not bounds.lo <= seconds <= bounds.hi:
        raise ValueError(f"must be between {bounds.lo:g} s and {bounds.hi:g} s, got {value!r}")
    return seconds


def _integer(value: object, bounds: Range) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    if not bounds.lo <= value <= bounds.hi:
        raise ValueError(f"must be between {bounds.lo} and {bounds.hi}, got {value}")
    return value


def _text(value: object, text: Text) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected non-empty text, got {value!r}")
    if len(value) > text.max_len or not is_one_line(value):
        raise ValueError(f"must be one line of at most {text.max_len} characters")
    return value


def _items(value: object, items: Items) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > items.max_items:
        raise ValueError(f"expected a list of at most {items.max_items} one-line texts, got {value!r}"[:120])
    texts = tuple(_text(v, Text()).strip() for v in value)
    if len(set(texts)) != len(texts):
        raise ValueError("an item is listed twice")
    return texts


def parse_path(value: object) -> Path:
    """A path from the config (``~`` expanded)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a path, got {value!r}")
    return Path(value).expanduser()


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _choice(value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}; got {value!r}")
    return value  # type: ignore[return-value]


def _marker(markers: tuple, kind: type, default: object) -> object:
    return next((m for m in markers if isinstance(m, kind)), default)


def parse_value(kind: object, value: object, markers: tuple = ()) -> object:
    """`value` from the YAML checked against the field type `kind`; raises a short ValueError."""
    origin = typing.get_origin(kind)
    if origin is Annotated:
        return parse_value(kind.__origin__, value, markers + kind.__metadata__)  # type: ignore[attr-defined]
    if origin in (Union, types.UnionType):
        if value is None and type(None) in typing.get_args(kind):
            return None
        (inner,) = [a for a in typing.get_args(kind) if a is not type(None)]
        return parse_value(inner, value, markers)
    custom = _marker(markers, Parse, None)
    if custom is not None:
        return custom.parse(value)
    if origin is Literal:
        return _choice(value, typing.get_args(kind))
    if origin is tuple and _marker(markers, Items, None) is not None:
        return _items(value, _marker(markers, Items, None))
    parsers: dict[object, Callable[[], object]] = {
        bool: lambda: _boolean(value),
        int: lambda: _integer(value, _marker(markers, Range, Range())),
        float: lambda: (_seconds(value, _marker(markers, Seconds, None)) if _marker(markers, Seconds, None)
                        else _number(value, _marker(markers, Range, Range()))),
        str: lambda: _text(value, _marker(markers, Text, Text())),
        Path: lambda: parse_path(value),
    }
    if kind not in parsers:
        raise TypeError(f"no parser for a config field of type {kind!r}")
    return parsers[kind]()


@functools.cache
def keys_of(section: type) -> dict[str, Key]:
    """The config keys of a section (a dataclass): its fields declared with ``Annotated[...]``."""
    hints = typing.get_type_hints(section, include_extras=True)
    keys = {}
    for f in fields(section):
        kind = hints[f.name]
        if typing.get_origin(kind) is Annotated:
            doc = next(m for m in kind.__metadata__ if isinstance(m, str))
            keys[f.name] = Key(f.name, kind, f.default, doc)
    return keys


@functools.cache
def sections_of(root: type) -> dict[str, type]:
    """The sections of the config (its fields whose type is a dataclass), by name."""
    hints = typing.get_type_hints(root)
    return {f.name: hints[f.name] for f in fields(root)
            if is_dataclass(hints[f.name]) and f.default_factory is not MISSING}
