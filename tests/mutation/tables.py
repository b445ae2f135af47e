"""Mutants of a pure core's module-level tables, which mutmut leaves alone.

mutmut mutates only code inside functions; a rule table such as the session's
``TRANSITIONS`` is data at module level. Here each entry of a named dict is dropped, or its
value swapped for another value of the same table; each member of a named tuple/set is
dropped. Each mutant runs in a forked child that changes the table and then runs the core's
tests with pytest (the test modules are imported after the change, so they see it).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class TableMutant:
    """One change to one table: `apply` performs it on the imported module."""

    name: str
    apply: Callable[[ModuleType], None]


def table_mutants(module: ModuleType, tables: tuple[str, ...]) -> Iterator[TableMutant]:
    """Every drop/swap mutant of the named tables, in a stable order."""
    for table_name in tables:
        table = getattr(module, table_name)
        if isinstance(table, dict):
            yield from _dict_mutants(table_name, table)
        elif isinstance(table, (tuple, list, set, frozenset)):
            yield from _sequence_mutants(table_name, table)
        else:
            raise TypeError(f"{module.__name__}.{table_name} is a {type(table).__name__}, not a table")


def _dict_mutants(table_name: str, table: dict) -> Iterator[TableMutant]:
    values = sorted({repr(v): v for v in table.values()}.items())
    for key, value in list(table.items()):
        yield TableMutant(f"{table_name}: drop {key!r}", lambda m, k=key: getattr(m, table_name).pop(k))
        others = [v for r, v in values if r != repr(value)]
        if others:
            # The next value in sorted order: a plausible wrong answer from the same table.
            later = [v for r, v in values if r > repr(value)]
            other = later[0] if later else others[0]
            yield TableMutant(f"{table_name}: {key!r} -> {other!r} (was {value!r})",
                              lambda m, k=key, o=other: getattr(m, table_name).__setitem__(k, o))


def _sequence_mutants(table_name: str, table) -> Iterator[TableMutant]:
    for item in list(table):
        def drop(m: ModuleType, item=item) -> None:
            current = getattr(m, table_name)
            setattr(m, table_name, type(current)(x for x in current if x != item))
        yield TableMutant(f"{table_name}: drop {item!r}", drop)


def run_table_mutants(module_name: str, tables: tuple[str, ...], tests: tuple[str, ...]) -> list[tuple[str, str]]:
    """(mutant name, status) for every table mutant; status is killed, survived or timeout.

    A mutant whose tests run five times longer than the unmutated run (plus 10 s) is a
    timeout: a rule table with a wrong entry can send the code under test round in circles.

    Raises:
        RuntimeError: the tests fail without any mutant (nothing to measure).
    """
    import pytest  # noqa: F401  (imported once here, so each forked child starts warm)

    module = importlib.import_module(module_name)
    started = time.monotonic()
    if _run_child(None, module, tests, 600) != "survived":
        raise RuntimeError(f"the tests of {module_name} fail unmutated: {' '.join(tests)}")
    timeout_s = int(10 + 5 * (time.monotonic() - started))
    return [(m.name, _run_child(m, module, tests, timeout_s)) for m in table_mutants(module, tables)]


def _run_child(mutant: TableMutant | None, module: ModuleType, tests: tuple[str, ...], timeout_s: int) -> str:
    pid = os.fork()
    if pid == 0:  # the child: mutate, test, report through the exit code only
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            signal.alarm(timeout_s)
            if mutant is not None:
                mutant.apply(module)
            import pytest
            code = int(pytest.main([*tests, "-x", "-q", "-p", "no:cacheprovider"]))
        finally:
            with contextlib.suppress(BaseException):
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "timeout" if os.WTERMSIG(status) == signal.SIGALRM else "killed"
    code = os.WEXITSTATUS(status)
    if code == 0:
        return "survived"
    if code == 1:
        return "killed"
    if mutant is None:
        return f"error {code}"
    # pytest could not even collect (an import-time failure caused by the mutant): a kill.
    return "killed"
