"""The typed-field parser: every type and marker against its good and bad values, and the exact words."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import pytest

from player.schema import Items, Key, Parse, Range, Seconds, Text, keys_of, parse_value, sections_of

Pin = Annotated[int, Range(0, 27)]


@pytest.mark.parametrize(("kind", "value", "want"), [
    (Annotated[float, Range(-60, 0)], -6, -6.0),
    (Annotated[float, Range(-60, 0)], 0, 0.0),
    (Annotated[float, Range(-60, 0)], -60.0, -60.0),
    (float, 1e300, 1e300),
    (Annotated[int, Range(0, 65535)], 8080, 8080),
    (Pin, 27, 27),
    (Annotated[Pin | None, "doc"], None, None),
    (Annotated[Pin | None, "doc"], 5, 5),
    (Annotated[float, Seconds(0, 600)], "1m30s", 90.0),
    (Annotated[float, Seconds(0, 600)], 45, 45.0),
    (Annotated[float | None, Range(40, 150)], None, None),
    (Annotated[float | None, Range(40, 150)], 98, 98.0),
    (bool, False, False),
    (str, "Room 3", "Room 3"),
    (Annotated[str, Text(5)], "abcde", "abcde"),
    (Path, "~/x", Path("~/x").expanduser()),
    (Path | None, None, None),
    (Literal["vlc", "fake"], "fake", "fake"),
    (Annotated[tuple[str, ...], Items(2)], [" a ", "b"], ("a", "b")),
    (Annotated[tuple[int, int] | None, Parse(lambda v: tuple(v))], [1, 2], (1, 2)),
    (Annotated[str | None, Parse(str.upper)], "x", "X"),
])
def test_good_values(kind, value, want) -> None:
    got = parse_value(kind, value)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize(("kind", "value", "words"), [
    (Annotated[float, Range(-60, 0)], 3, "must be between -60 and 0, got 3"),
    (Annotated[float, Range(-60, 0)], -60.5, "must be between -60 and 0, got -60.5"),
    (Annotated[float, Range(-60, 0)], True, "expected a number, got True"),
    (Annotated[float, Range(-60, 0)], "-6", "expected a number, got '-6'"),
    (float, float("nan"), "must be between -inf and inf, got nan"),
    (Annotated[int, Range(0, 65535)], 70000, "must be between 0 and 65535, got 70000"),
    (Annotated[int, Range(0, 65535)], 1.0, "expected a whole number, got 1.0"),
    (Pin, False, "expected a whole number, got False"),
    (Annotated[float, Seconds(10, 60)], 5, "must be between 10 s and 60 s, got 5"),
    (bool, "yes", "expected true or false, got 'yes'"),
    (bool, 1, "expected true or false, got 1"),
    (str, "", "expected non-empty text, got ''"),
    (str, "a\nb", "must be one line of at most 200 characters"),
    (Annotated[str, Text(5)], "abcdef", "must be one line of at most 5 characters"),
    (Path, "", "expected a path, got ''"),
    (Path, 5, "expected a path, got 5"),
    (Literal["continue", "pause"], "guess", "must be one of continue, pause; got 'guess'"),
    (Annotated[tuple[str, ...], Items(2)], ["a", "b", "c"], "expected a list of at most 2 one-line texts"),
    (Annotated[tuple[str, ...], Items(2)], ["a", "a"], "an item is listed twice"),
    (Annotated[tuple[str, ...], Items(2)], "a", "expected a list of at most 2 one-line texts, got 'a'"),
    (Pin | None, 28, "must be between 0 and 27, got 28"),
])
def test_bad_values_say_what_is_wrong(kind, value, words) -> None:
    with pytest.raises(ValueError) as err:
        parse_value(kind, value)
    assert words in str(err.value)


def test_a_type_without_a_parser_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="no parser"):
        parse_value(complex, 1)


@dataclass(frozen=True)
class _Section:
    level: Annotated[float, Range(-60, 0), "a level"] = -6.0
    name: Annotated[str, "a name"] = "x"
    plain: int = 3   # not a config key: no Annotated doc


@dataclass(frozen=True)
class _Root:
    room: Annotated[str, "the room"] = "R"
    section: _Section = field(default_factory=_Section)
    source: str = "<defaults>"


def test_keys_are_the_annotated_fields_with_their_default_and_doc() -> None:
    assert keys_of(_Section) == {
        "level": Key("level", Annotated[float, Range(-60, 0), "a level"], -6.0, "a level"),
        "name": Key("name", Annotated[str, "a name"], "x", "a name")}
    assert list(keys_of(_Root)) == ["room"]
    assert sections_of(_Root) == {"section": _Section}


def test_every_config_default_is_a_value_its_own_declaration_accepts() -> None:
    from player.config import Config

    for section in (Config, *sections_of(Config).values()):
        for key in keys_of(section).values():
            assert key.doc, key.name
            assert parse_value(key.kind, _as_yaml(key)) == key.default, key.name


def _as_yaml(key: Key) -> object:
    """A default as the YAML would give it: a path as text, a list of texts as a list, pairs as a mapping."""
    value = key.default
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        texts = any(isinstance(m, Items) for m in key.kind.__metadata__)
        return list(value) if texts else dict(value) if not value or isinstance(value[0], tuple) else list(value)
    return value


def test_the_exact_edges_and_words() -> None:
    assert parse_value(Annotated[float, Seconds(10, 60)], 10) == 10.0
    assert parse_value(Annotated[float, Seconds(10, 60)], "1m") == 60.0
    assert parse_value(Annotated[int, Range(1, 5)], 1) == 1 and parse_value(Annotated[int, Range(1, 5)], 5) == 5
    assert parse_value(int, -(10**30)) == -(10**30)      # no bounds written: any whole number
    with pytest.raises(ValueError) as err:
        parse_value(Annotated[tuple[str, ...], Items(2)], ["a", "b", "a "])
    assert str(err.value) == "expected a list of at most 2 one-line texts, got ['a', 'b', 'a ']"
    with pytest.raises(ValueError) as err:
        parse_value(Annotated[tuple[str, ...], Items(2)], ["a", "a "])
    assert str(err.value) == "an item is listed twice"
    with pytest.raises(ValueError) as err:
        parse_value(Annotated[tuple[str, ...], Items(1)], ["x" * 200, "y"])
    assert len(str(err.value)) == 120   # a long list is cut, not echoed whole into the log


def test_a_list_type_needs_its_items_bound() -> None:
    with pytest.raises(TypeError, match="no parser"):
        parse_value(tuple[str, ...], ["a"])
