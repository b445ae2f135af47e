"""Durations, gains, safe YAML, did-you-mean, clocks: the small pure pieces everything uses."""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.clock import FakeClock, SystemClock
from player.durations import format_duration, parse_duration, parse_gain_db
from player.suggest import did_you_mean, edit_distance, unknown_key_message
from player.yamlsafe import MAX_YAML_BYTES, YamlRefused, load_yaml_file, load_yaml_text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90.0), (1.5, 1.5), ("90", 90.0), ("90s", 90.0), ("10m", 600.0), ("1h5m", 3900.0),
     ("1h 5m 30s", 3930.0), ("1:30:00", 5400.0), ("1:30", 90.0), ("250ms", 0.25), ("2.5m", 150.0),
     ("0", 0.0), ("-5s", -5.0)],
)
def test_parse_duration_accepts_documented_forms(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "x", "1:70", "5mm", "m", "1h1h", "1:2:3:4", "10 minutes", "1.5:00",
                                  True, None, [1], "nan", float("inf")])
def test_parse_duration_refuses_with_a_message(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.integers(0, 10 * 3600))
def test_format_then_parse_round_trips(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(("text", "db"), [("-2dB", -2.0), ("-2 dB", -2.0), ("+1.5db", 1.5), (-3, -3.0), ("0", 0.0)])
def test_parse_gain(text, db):
    assert parse_gain_db(text) == db


@pytest.mark.parametrize("text", ["loud", "2 dBFS", True, None, "inf"])
def test_parse_gain_refuses(text):
    with pytest.raises(ValueError, match="gain"):
        parse_gain_db(text)


def test_edit_distance_and_suggestion():
    assert edit_distance("crosfade", "crossfade") == 1
    assert did_you_mean("crosfade", ["crossfade", "phases"]) == " (did you mean 'crossfade'?)"
    assert did_you_mean("zzzzzzzz", ["crossfade"]) == ""
    assert "known keys: a, b" in unknown_key_message("zzzz", ["b", "a"])


def test_yaml_lines_are_kept():
    data = load_yaml_text("name: x\nphases:\n  - name: a\n    duration: 10m\n  - {name: b, duration: 5}\n")
    assert data.line_of("phases") == 2
    assert data["phases"].line_of(1) == 5
    assert data["phases"][0].line_of("duration") == 4


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [("a: &x [1, 2]\nb: *x\n", 1, "anchors"),
     ("a: 1\na: 2\n", 2, "duplicate key"),
     ("a: [\n", 2, "invalid YAML"),
     ("a: !!python/object/apply:os.system [ls]\n", 1, "cannot read value"),
     ("[" * 40 + "]" * 40, 1, "nesting"),
     ("? [1, 2]\n: x\n", 1, "plain values")],
)
def test_yaml_refusals_name_the_line(text, line, message):
    with pytest.raises(YamlRefused, match=message) as info:
        load_yaml_text(text)
    assert info.value.line == line


def test_billion_laughs_is_refused_before_expansion():
    levels = zip("abcdefgh", "bcdefghi", strict=True)
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in levels)
    with pytest.raises(YamlRefused, match="anchors"):
        load_yaml_text(bomb)


def test_oversized_and_non_utf8_files_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_YAML_BYTES + 1))
    with pytest.raises(YamlRefused, match="limit"):
        load_yaml_file(big)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(YamlRefused, match="UTF-8"):
        load_yaml_file(latin)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_text_gives_data_or_yamlrefused(text):
    with contextlib.suppress(YamlRefused):
        load_yaml_text(text)


def test_fake_clock_moves_only_forward_and_keeps_wall_in_step():
    clock = FakeClock(start=10.0)
    wall0 = clock.wall()
    clock.advance(3600.5)
    assert clock.monotonic() == 3610.5
    assert (clock.wall() - wall0).total_seconds() == 3600.5
    assert clock.wall().utcoffset() is not None
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_system_clock_is_monotonic_and_aware():
    clock = SystemClock()
    a = clock.monotonic()
    assert clock.monotonic() >= a
    assert clock.wall().tzinfo is not None
    assert not math.isnan(a)


# Exact wording and the edges between accepted and refused (mutation testing found them untested).

@pytest.mark.parametrize(("parse", "value", "message"), [
    (parse_duration, 10**400, "duration is far too large: 10000000000000000000..."),
    (parse_duration, [1], "expected a duration such as 90s, 10m or 1:30:00, got list"),
    (parse_duration, float("inf"), "duration must be finite, got inf"),
    (parse_gain_db, 10**400, "gain is far too large: 10000000000000000000..."),
    (parse_gain_db, [1], "expected a gain such as -2dB, got list"),
    (parse_gain_db, float("inf"), "gain must be finite, got inf"),
    (parse_gain_db, "loud", "cannot read gain 'loud': use a number of decibels such as -2dB"),
])
def test_refusals_say_exactly_what_was_wrong(parse, value, message):
    with pytest.raises(ValueError) as caught:
        parse(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(("text", "seconds"), [("1:59", 119.0), ("1:30.5", 90.5), ("1:59:59", 7199.0),
                                               ("0:00:00.5", 0.5)])
def test_clock_forms_up_to_59(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["1:60", "1:60:00", "1:00:60", "1:2.5:30", "1.5:30:00"])
def test_clock_forms_refuse_60_and_fractions_before_the_last_part(text):
    with pytest.raises(ValueError, match="cannot read duration"):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(90, "1:30"), (89.6, "1:30"), (-90, "-1:30"), (3930, "1:05:30"),
                                               (-3930, "-1:05:30"), (0, "0:00"), (float("inf"), "?"),
                                               (float("nan"), "?")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
