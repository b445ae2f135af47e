"""Playback first at start-up: the daemon's own start-up work is done before the engine can make a sound.

Measured under a 5 % CPU quota (bench/budget.py): the web page's HTTP stack was imported, and
the whole heap walked by the cyclic collector, after the engine had started. A session resumed
after a restart (or started as soon as the control socket answered) pre-rolled and faded in
while the main thread spent ~200 ms of CPU on them (4 s of that budget), and its first seconds
broke up. The real `session-player run`, in its own process: when the engine starts, the
enabled edges' code is already imported and the heap already collected and frozen.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.engine.conftest import daemon_config

RUN_AND_LOOK = """
import gc, json, os, signal, sys
from player import cli
from player.engine.loop import SessionEngine

seen = {}
real_start = SessionEngine.start

def start(self):
    seen.update(modules=sorted(m for m in ("player.web.server", "player.hardware.bedside", "aiohttp")
                               if m in sys.modules), frozen=gc.get_freeze_count())
    real_start(self)
    os.kill(os.getpid(), signal.SIGTERM)      # the run command stops as under systemd

SessionEngine.start = start
rc = cli.main(["run", "--pin-factory", "mock", "--config", sys.argv[1]])
print(json.dumps({"rc": rc, **seen}))
"""


def test_the_edges_are_imported_and_the_heap_frozen_before_the_engine_starts(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(daemon_config(tmp_path / "data", hardware={"enabled": True},
                                                   web={"enabled": True, "port": 0})))
    out = subprocess.run([sys.executable, "-c", RUN_AND_LOOK, str(config)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["rc"] == 0
    assert seen["modules"] == ["aiohttp", "player.hardware.bedside", "player.web.server"]
    assert seen["frozen"] > 10_000          # the imported code, collected once and frozen
