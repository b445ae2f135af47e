"""kill -9 in the middle of copying (a real subprocess): the library stays whole, staging is cleaned."""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

from player.usb import recover_library
from player.usb.importer import import_stick

CHILD = """
import sys, threading
from pathlib import Path
from player.usb.importer import import_stick
from player.usb.status import StatusReporter
from tests.usb.conftest import make_config

class StallAfterFirstChunk(StatusReporter):
    def advance(self, rel, n):
        super().advance(rel, n)
        print("copying", flush=True)  # tell the test, then hold mid-copy until killed
        threading.Event().wait()

data = Path(sys.argv[2])
import_stick(sys.argv[1], make_config(data), status=StallAfterFirstChunk(data))
"""


def wait_until_copying(proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    """Block on the child's pipe (no polling) until it says it is mid-copy; fail if it dies first."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    assert ready, "the child never started copying"
    line = proc.stdout.readline()
    assert line == "copying\n", f"the child ended before copying: {proc.stderr.read()}"


def test_kill_9_mid_copy_leaves_the_library_whole(stick, config, tmp_path):
    import_stick(stick.root, config)
    lib = config.data_dir / "library"
    manifest = json.loads((lib / "current" / ".import.json").read_text())
    stick.audio("long/one.wav", 90.0)  # > 1 MiB: several chunks
    stick.audio("long/two.wav", 95.0)
    stick.playlist("long.yaml", "name: Long\nphases:\n  - name: peak\n    duration: 5m\n    tracks: [long/*.wav]\n")
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(stick.root), str(config.data_dir)],
                            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_copying(proc)
        staging = [p for p in lib.iterdir() if p.name.startswith(".staging-")]
        assert staging and any(p.stat().st_size for p in staging[0].rglob("*") if p.is_file())  # half-written
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert os.readlink(lib / "current") == "gen-000001"
    for rel, meta in manifest["files"].items():
        assert hashlib.sha256((lib / "current" / rel).read_bytes()).hexdigest() == meta["sha256"]
    assert recover_library(config.data_dir) == [staging[0].name]
    report = import_stick(stick.root, config)  # the lock died with the process; the next import works
    assert report["result"] == "imported" and (lib / "current" / "long" / "two.wav").exists()
