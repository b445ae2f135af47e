"""The import arrows under player/ against docs/architecture.json: no circles, only allowed arrows.

Read from the source with `ast` (nothing is imported): every ``import player...`` and
``from player... import ...``, also inside functions, is an arrow from its module to the
module it names. Imports under ``if TYPE_CHECKING:`` are left out: they name a type for an
annotation and never run. A module belongs to the part of docs/architecture.json whose
``is`` entry is the longest prefix of its path.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = json.loads((ROOT / "docs" / "architecture.json").read_text(encoding="utf-8"))


def player_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module under player/ by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / "player").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Import statements that run: all of them but those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If) and _is_type_checking(node):
            children = node.orelse
        stack.extend(children)


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the player modules it imports at run time."""
    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets = set()
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
                names = [f"{base}.{alias.name}" for alias in node.names]
            targets |= {t for t in map(resolve, names) if t and t.split(".")[0] == "player"}
        graph[module] = targets - {module}
    return graph


def circles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan, iterative): each holds a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph.get(start, ())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph.get(succ, ()))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def package_of(module: str) -> str:
    """``player.web.api`` -> ``player.web``; a module directly under player/ is its own package."""
    return ".".join(module.split(".")[:2])


def part_of(path: Path, parts: Mapping[str, dict] = ARCHITECTURE["parts"]) -> str | None:
    rel = path.relative_to(ROOT).as_posix()
    best = max(((len(prefix), name) for name, part in parts.items() for prefix in part["is"]
                if rel == prefix or (prefix.endswith("/") and rel.startswith(prefix))), default=None)
    return best[1] if best else None


def collapse(graph: Mapping[str, set[str]], group) -> dict[str, set[str]]:
    """The graph between groups: an arrow a -> b wherever a module of a imports one of b."""
    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        out.setdefault(group(module), set()).update(group(t) for t in targets if group(t) != group(module))
    return out


MODULES = player_modules()
GRAPH = import_graph(MODULES)


def test_the_checker_finds_circles_and_reads_relative_and_lazy_imports(tmp_path: Path) -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    pkg = tmp_path / "player" / "x"
    pkg.mkdir(parents=True)
    (tmp_path / "player" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from player.x import b\n"
                              "def f():\n    from . import b\n")
    (pkg / "b.py").write_text("import player.x.a\nfrom player import y\n")
    (tmp_path / "player" / "y.py").write_text("")
    graph = import_graph(player_modules(tmp_path))
    assert graph == {"player": set(), "player.x": {"player.x.a"}, "player.x.a": {"player.x.b"},
                     "player.x.b": {"player.x.a", "player.y"}, "player.y": set()}


def test_no_import_circles_between_modules() -> None:
    assert circles(GRAPH) == []


def test_no_import_circles_between_packages() -> None:
    assert circles(collapse(GRAPH, package_of)) == []


def test_every_module_belongs_to_one_part() -> None:
    assert [m for m, path in MODULES.items() if part_of(path) is None] == []


def test_the_parts_import_only_along_the_allowed_arrows() -> None:
    allowed = {tuple(arrow) for arrow in ARCHITECTURE["arrows"]}
    parts = {m: part_of(path) for m, path in MODULES.items()}
    wrong = sorted(f"{parts[m]} -> {parts[t]}: {m} imports {t}" for m, targets in GRAPH.items()
                   for t in targets if parts[m] != parts[t] and (parts[m], parts[t]) not in allowed)
    assert wrong == []
    assert circles(collapse(GRAPH, parts.__getitem__)) == []


@pytest.mark.parametrize("never", ARCHITECTURE["never"], ids=lambda n: f"{n[0]}->{n[1]}")
def test_a_forbidden_arrow_is_never_allowed(never: list[str]) -> None:
    assert [never[0], never[1]] not in ARCHITECTURE["arrows"], never[2]


def test_the_allowed_arrows_have_no_circle() -> None:
    graph: dict[str, set[str]] = {}
    for a, b in ARCHITECTURE["arrows"]:
        assert a in ARCHITECTURE["parts"] and b in ARCHITECTURE["parts"], (a, b)
        graph.setdefault(a, set()).add(b)
    assert circles(graph) == []
