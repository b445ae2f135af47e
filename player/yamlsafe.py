"""Load untrusted YAML safely and remember the line of every node.

Playlists and config come from clinicians' laptops and USB sticks, so the loader refuses
what a hostile file could use to hurt the Pi (alias/anchor "billion laughs" bombs, huge
files, deep nesting, FIFOs and devices named as files) before building anything, and
keeps line numbers so every error can say ``FILE:LINE``. Only PyYAML's safe loader is
used (its libyaml build when present: about 15x faster, so a 1 MiB file is refused or
read in a fraction of a second).

No message of `YamlRefused` quotes the file's text: a caller may have asked the player to
read a file it could not read itself (``/etc/shadow`` as a playlist), so errors name
lines and the kind of problem, never keys, values or tags.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from player.fsutil import NotRegularFile, open_regular

MAX_YAML_BYTES = 1024 * 1024
MAX_DEPTH = 32
#: Scalars, mappings and sequences in one document: a 10,000-track playlist with a gain on
#: every track is about 60,000; more is refused before any value is built.
MAX_YAML_NODES = 200_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# PyYAML's pure-Python messages quote what they found ("found character 'x'"); libyaml's do not.
# Kept: token names such as '<block end>' and one or two punctuation characters (a tab shows as '\t').
_QUOTED = re.compile(r"'([^']*)'")


class YamlRefused(ValueError):
    """The YAML was refused; `line` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class LineDict(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: object) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows its own line and the line of each item."""

    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def _redact(problem: str) -> str:
    def keep(match: re.Match) -> str:
        inner = match.group(1)
        safe = inner.startswith("<") or (len(inner) <= 2 and not any(c.isalnum() for c in inner))
        return match.group(0) if safe else "'…'"
    return _QUOTED.sub(keep, problem)


def read_limited(path: Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Read a regular text file, refusing it before reading when it is over `max_bytes`.

    A FIFO, device, folder or socket is refused at once (`player.fsutil.open_regular`).

    Raises:
        YamlRefused: not a regular file, too large, not UTF-8. OSError: cannot be opened.
    """
    try:
        fd = open_regular(path)
    except NotRegularFile as exc:
        raise YamlRefused(f"the file is {exc.what}, not a regular file") from None
    with open(fd, "rb") as f:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise YamlRefused(f"file is {size} bytes; the limit is {max_bytes} bytes")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlRefused(f"file is over the limit of {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlRefused(f"file is not UTF-8 text (byte {exc.start})") from None


def load_yaml_text(text: str, max_bytes: int = MAX_YAML_BYTES) -> object:
    """Parse one YAML document into plain objects (`LineDict`, `LineList`, scalars)."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise YamlRefused(f"text is over the limit of {max_bytes} bytes")
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                raise YamlRefused("YAML aliases (*name) are not allowed", line)
            if getattr(event, "anchor", None):
                raise YamlRefused("YAML anchors (&name) are not allowed", line)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlRefused(f"nesting deeper than {MAX_DEPTH} levels", line)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    raise YamlRefused(f"more than {MAX_YAML_NODES:,} YAML values", line)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else _build(node, loader)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = _redact(exc.problem or exc.context or "invalid YAML")
        raise YamlRefused(f"invalid YAML: {problem}", mark.line + 1 if mark else 0) from None
    except yaml.reader.ReaderError as exc:
        raise YamlRefused(f"invalid YAML: a character YAML does not allow (character {exc.position + 1})") from None
    except yaml.YAMLError:
        raise YamlRefused("invalid YAML") from None
    except RecursionError:
        raise YamlRefused("YAML is nested too deeply") from None


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _build(node: yaml.Node, loader: yaml.SafeLoader) -> object:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:
        raise YamlRefused("cannot read value: YAML tags (!name) are not allowed here", line)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = LineDict()
        result.line, result.key_lines = line, {}
        for key_node, value_node in node.value:
            key = _build(key_node, loader)
            try:
                hash(key)
            except TypeError:
                raise YamlRefused("mapping keys must be plain values", key_node.start_mark.line + 1) from None
            if key in result:
                raise YamlRefused(f"duplicate key (first at line {result.key_lines[key]})",
                                  key_node.start_mark.line + 1)
            result[key] = _build(value_node, loader)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        result = LineList()
        result.line = line
        result.item_lines = [item.start_mark.line + 1 for item in node.value]
        result.extend(_build(item, loader) for item in node.value)
        return result
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise YamlRefused(f"cannot read value: {_redact(exc.problem or 'unknown problem')}", line) from None
    except ValueError as exc:  # int() past sys.get_int_max_str_digits(), a date like 2024-02-30
        why = "a number with too many digits" if "digits" in str(exc) else "not a valid date or number"
        raise YamlRefused(f"cannot read value: {why}", line) from None


def load_yaml_file(path: Path, max_bytes: int = MAX_YAML_BYTES) -> object:
    """`read_limited` then `load_yaml_text`."""
    return load_yaml_text(read_limited(path, max_bytes), max_bytes)
