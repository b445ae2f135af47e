"""The safe YAML reader at its limits: exactly at a size or depth limit passes, one past is
refused with words and a line; a file whose size lies (/proc) is still cut at the limit.
Written to kill the survivors of mutation testing (python -m tests.mutation yamlsafe)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from player.yamlsafe import MAX_DEPTH, LineDict, LineList, YamlRefused, load_yaml_text, read_limited

LIBYAML = hasattr(yaml, "CSafeLoader")  # the loader player.yamlsafe uses when PyYAML has it; its words differ


def refused(text: str, **kw) -> tuple[int, str]:
    with pytest.raises(YamlRefused) as caught:
        load_yaml_text(text, **kw)
    return caught.value.line, str(caught.value)


def test_a_refusal_without_a_line_says_0() -> None:
    assert YamlRefused("x").line == 0


def test_lines_fall_back_to_the_container_line() -> None:
    data = load_yaml_text("\nroot:\n  - a\n  - b\n")
    items = data["root"]
    assert isinstance(data, LineDict) and isinstance(items, LineList)
    assert (data.line_of("root"), data.line_of("missing"), data.line) == (2, 2, 2)
    assert [items.line_of(i) for i in (-1, 0, 1, 2)] == [items.line, 3, 4, items.line]
    assert items.line == 3


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: " + "x" * 97)  # 100 bytes
    assert read_limited(path, max_bytes=100) == "a: " + "x" * 97
    path.write_text("a: " + "x" * 98)
    with pytest.raises(YamlRefused, match="^file is 101 bytes; the limit is 100 bytes$"):
        read_limited(path, max_bytes=100)


def test_a_file_whose_size_lies_is_cut_at_the_limit() -> None:
    """/proc files say 0 bytes and hold more: the read itself stops one byte past the limit."""
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 100
    with pytest.raises(YamlRefused, match="^file is over the limit of 100 bytes$"):
        read_limited(status, max_bytes=100)


def test_text_of_exactly_the_limit_is_parsed() -> None:
    assert load_yaml_text("a: " + "x" * 97, max_bytes=100) == {"a": "x" * 97}
    assert refused("a: " + "x" * 98, max_bytes=100) == (0, "text is over the limit of 100 bytes")


def test_nesting_up_to_the_limit_and_not_one_level_more() -> None:
    assert load_yaml_text("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert refused("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == (1, f"nesting deeper than {MAX_DEPTH} levels")


def test_many_shallow_siblings_are_not_deep() -> None:
    text = "".join(f"- {{k{i}: [1]}}\n" for i in range(3 * MAX_DEPTH))
    assert len(load_yaml_text(text)) == 3 * MAX_DEPTH


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a: 1\nb: *x\n", 2, "YAML aliases (*name) are not allowed"),
    ("a: 1\nb: &x 1\n", 2, "YAML anchors (&name) are not allowed"),
    ("a: [1,\n  2,\n", 3, "invalid YAML: " + ("did not find expected node content" if LIBYAML
                                             else "expected the node content, but found '<stream end>'")),
    ("a: 1\nb: c: d\n", 2, "invalid YAML: mapping values are not allowed " + ("in this context" if LIBYAML
                                                                                else "here")),
])
def test_refusals_name_the_problem_and_its_line(text: str, line: int, message: str) -> None:
    assert refused(text) == (line, message)


def test_items_keep_their_own_lines_in_a_flow_list() -> None:
    items = load_yaml_text("root: [\n  a,\n  b]\n")["root"]
    assert (items.line, items.line_of(0), items.line_of(1)) == (1, 2, 3)


def test_depth_goes_down_one_level_per_closed_container() -> None:
    """{a: {b: [1], c: <31 lists>}} is 33 deep at its deepest: closing [1] must leave depth 2."""
    deep = "[" * 31 + "]" * 31
    assert refused(f"a: {{b: [1], c: {deep}}}\n") == (1, f"nesting deeper than {MAX_DEPTH} levels")
    assert load_yaml_text(f"a: {{b: [1], c: {deep[1:-1]}}}\n") is not None


def test_a_reader_error_is_reported_as_invalid_yaml() -> None:
    line, message = refused("a: \x01\n")
    assert (line, message) == (0, "invalid YAML: a character YAML does not allow (character 4)")


def test_recursion_that_runs_out_of_stack_is_a_clear_refusal() -> None:
    import inspect
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        assert refused("[" * 30 + "]" * 30) == (0, "YAML is nested too deeply")
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a: 1\n? [k]\n: 1\n", 2, "mapping keys must be plain values"),
    ("a: 1\nb: !foo bar\n", 2, "cannot read value: could not determine a constructor for the tag '…'"),
])
def test_values_the_reader_will_not_build(text: str, line: int, message: str) -> None:
    assert refused(text) == (line, message)


def test_the_file_limit_is_the_one_given(tmp_path: Path) -> None:
    from player.yamlsafe import load_yaml_file

    path = tmp_path / "p.yaml"
    path.write_text("a: " + "x" * 17)
    with pytest.raises(YamlRefused, match="^file is 20 bytes; the limit is 10 bytes$"):
        load_yaml_file(path, max_bytes=10)


@pytest.mark.parametrize(("problem", "shown"), [
    ("found character 'x' that cannot start any token", "found character '…' that cannot start any token"),
    ("expected '<document start>', but found 'key'", "expected '<document start>', but found '…'"),
    ("found '\t' here", "found '\t' here"),                    # a tab, or two punctuation characters: kept
    ("found '::' here", "found '::' here"),
    ("found ':::' here", "found '…' here"),                     # three: could be text from the file
    ("found 'a' here", "found '…' here"),                       # a letter is always hidden
])
def test_quoted_text_from_the_file_is_hidden(problem: str, shown: str) -> None:
    from player.yamlsafe import _redact

    assert _redact(problem) == shown


def test_the_value_count_limit_is_exact(monkeypatch) -> None:
    import player.yamlsafe as yamlsafe

    monkeypatch.setattr(yamlsafe, "MAX_YAML_NODES", 10)
    assert load_yaml_text("[" + ", ".join("1" * 9) + "]") == [1] * 9  # the list and 9 numbers: 10 values
    assert refused("[\n" + ",\n".join("1" * 10) + "]") == (11, "more than 10 YAML values")


@pytest.mark.parametrize(("text", "message"), [
    ("a: !!python/object/apply:os.system [ls]\n", "cannot read value: YAML tags (!name) are not allowed here"),
    ("a: 2024-02-30\n", "cannot read value: not a valid date or number"),
])
def test_values_refused_without_quoting_them(text: str, message: str) -> None:
    assert refused(text) == (1, message)
