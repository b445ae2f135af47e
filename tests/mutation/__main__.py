"""Mutation testing of the pure cores, one command:

    python -m tests.mutation                 # every core listed in tests/mutation/cores.py
    python -m tests.mutation durations gain  # some of them
    python -m tests.mutation --show states   # also print each surviving mutant's diff

Why mutmut: it forks each mutant from a warmed pytest process and runs only the tests that
reach the mutated function (about 20 mutants a second here, against one fresh pytest process
per mutant for cosmic-ray), and it mutates a copy (``mutants/``), never the work tree.
Each core runs in its own scratch project under ``build/mutation/<module>/`` with only its own
tests selected, so a kill means those tests pin the module down. mutmut leaves module-level
data alone, so the tables a core names in cores.py are mutated by tables.py.

The run lowers its own priority to nice 19 (a shared machine). It prints a table of kill
rates; build/mutation/survivors.txt lists the survivors (with diffs under --show). The
exit code is 1 when a core is under the goal (90 % killed), so a CI job can gate on it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.mutation.cores import CORES, Core, find
from tests.mutation.tables import run_table_mutants

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "mutation"
GOAL = 0.90
_KILLED = {"killed", "timeout", "caught by type check", "segfault"}
_NOT_COUNTED = {"skipped", "not checked", "check was interrupted by user"}


@dataclass
class Result:
    core: Core
    statuses: dict[str, str] = field(default_factory=dict)  # mutant name -> status
    seconds: float = 0.0

    def counted(self) -> dict[str, str]:
        return {k: v for k, v in self.statuses.items() if v not in _NOT_COUNTED}

    @property
    def killed(self) -> int:
        return sum(v in _KILLED for v in self.counted().values())

    @property
    def total(self) -> int:
        return len(self.counted())

    @property
    def survivors(self) -> list[str]:
        return [k for k, v in self.counted().items() if v not in _KILLED]

    @property
    def rate(self) -> float:
        return self.killed / self.total if self.total else 0.0  # nothing reached counts as a failure


def _scratch_project(core: Core) -> Path:
    """A fresh copy of the project whose pyproject selects this core and its tests only."""
    work = BUILD / core.module
    shutil.rmtree(work, ignore_errors=True)
    # The whole project (tests read playlists/, systemd/, ...), not its venv, history or outputs.
    skip = {".git", ".venv", "build", "mutants", "__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache",
            "demo-audio"}
    shutil.copytree(ROOT, work, dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if n in skip or n.endswith((".pyc", ".egg-info"))])
    # mutmut runs the tests in its own copy (mutants/), which holds player/ and tests/ only.
    also_copy = sorted(p.name for p in work.iterdir() if p.name not in ("player", "tests", "pyproject.toml"))
    settings = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings += ("\n[tool.mutmut]\nsource_paths = [\"player\"]\n"
                 f"only_mutate = [{json.dumps(core.path)}]\n"
                 f"also_copy = {json.dumps(also_copy)}\n"
                 f"pytest_add_cli_args_test_selection = {json.dumps(list(core.tests))}\n")
    (work / "pyproject.toml").write_text(settings, encoding="utf-8")
    return work


def _run_mutmut(core: Core, jobs: int) -> dict[str, str]:
    from mutmut.stats import status_by_exit_code

    work = _scratch_project(core)
    log = work / "mutmut.log"
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
                              cwd=work, stdout=out, stderr=subprocess.STDOUT, check=False)
    meta = work / "mutants" / (core.path + ".meta")
    if "could not find any test case for any mutant" in log.read_text(errors="replace"):
        print(f"mutation: no selected test reaches any mutant of {core.path} (see {log})", file=sys.stderr)
        return {}
    if done.returncode != 0 or not meta.exists():
        raise SystemExit(f"mutation: mutmut failed on {core.path} (exit {done.returncode}); see {log}")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: status_by_exit_code[code] for name, code in codes.items()}


def _diff(core: Core, mutant: str) -> str:
    if ":" in mutant:  # a table mutant names its own change
        return f"# {mutant}\n"
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=BUILD / core.module,
                           capture_output=True, text=True, check=False)
    return shown.stdout


def run(core: Core, jobs: int) -> Result:
    started = time.monotonic()
    result = Result(core, _run_mutmut(core, jobs))
    if core.tables:
        for name, status in run_table_mutants(core.module, core.tables, core.tests):
            result.statuses[f"{core.module}: {name}"] = status
    result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="cores to mutate (default: all in tests/mutation/cores.py)")
    parser.add_argument("--show", action="store_true", help="write each survivor's diff to survivors.txt")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    args = parser.parse_args(argv)
    try:
        import mutmut  # noqa: F401
    except ImportError:
        raise SystemExit("mutation: mutmut is not installed; run: .venv/bin/pip install -e '.[mutation]'") from None
    os.nice(max(0, 19 - os.nice(0)))
    os.chdir(ROOT)
    cores = [find(m) for m in args.modules] if args.modules else list(CORES)
    BUILD.mkdir(parents=True, exist_ok=True)
    results = []
    print(f"{'core':34} {'killed':>7} {'total':>6} {'rate':>7} {'time':>6}")
    for core in cores:
        result = run(core, args.jobs)
        results.append(result)
        print(f"{core.path:34} {result.killed:7d} {result.total:6d} {result.rate:7.1%} {result.seconds:5.0f}s",
              flush=True)
    with (BUILD / "survivors.txt").open("w") as out:
        for result in results:
            for mutant in result.survivors:
                out.write(_diff(result.core, mutant) if args.show else f"{mutant}: {result.statuses[mutant]}\n")
    print(f"survivors: {BUILD / 'survivors.txt'}")
    return 0 if all(r.rate >= GOAL for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
