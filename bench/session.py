#!/usr/bin/env python3
"""Session engine and daemon figures: cold start to READY, phase drift, kill -9 -> audio back, log events/s.

    python bench/session.py [--skip-audio]

Each figure comes with a baseline measured in the same run:
- cold start: `session-player run` until it sends READY=1 on a notify socket, vs a bare
  Python that imports python-vlc and creates a libVLC instance (the floor of any player).
- drift: a 4-hour plan on the fake clock advanced in uneven steps (boundary error in ms,
  exact arithmetic), and a short real-time session on the system clock (how late the
  engine notices a boundary, against its 20 ms tick).
- kill -9: the real daemon playing through libVLC into a virtual sound card is killed and
  restarted; time from the kill to the first non-silent sample in the capture.
- log: fsync'd EventLog appends per second vs bare os.write + fsync of the same lines.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from player.audio.virtual_sink import VirtualSink
from player.clock import FakeClock
from player.config import config_from_mapping
from player.demo_audio import generate_demo_library
from player.playlist.validate import load_playlist
from player.session.engine import SessionEngine
from player.session.eventlog import EventLog, encode_record, read_events

PY = sys.executable


def _demo(root: Path) -> Path:
    generate_demo_library(root / "demo-audio")
    path = root / "demo.yaml"
    path.write_text(resources.files("player").joinpath("data/demo.yaml").read_text(encoding="utf-8"))
    return path


def _config_file(root: Path, **extra) -> Path:
    cfg = {"room": "Bench", "data_dir": str(root / "data"), "hardware": {"enabled": False},
           "web": {"enabled": False}, "audio": {"output": "fake"}}
    for key, value in extra.items():
        cfg.setdefault(key, {}).update(value) if isinstance(value, dict) else cfg.update({key: value})
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def cold_start(root: Path, runs: int) -> None:
    cfg = _config_file(root, audio={"output": "vlc", "device": "null"})
    ours, base = [], []
    for _ in range(runs):
        note = root / "notify.sock"
        note.unlink(missing_ok=True)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(str(note))
            sock.settimeout(60)
            t0 = time.perf_counter()
            proc = subprocess.Popen([PY, "-m", "player.cli", "run", "--config", str(cfg)],
                                    env=dict(os.environ, NOTIFY_SOCKET=str(note)),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while sock.recv(4096) != b"READY=1":
                pass
            ours.append(time.perf_counter() - t0)
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", "import vlc; vlc.Instance(['--aout=alsa', '--alsa-audio-device=null'])"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base.append(time.perf_counter() - t0)
    o, b = statistics.median(ours), statistics.median(base)
    print(f"cold start to READY=1: median {o * 1000:.0f} ms over {runs} runs "
          f"(bare python + libVLC instance: {b * 1000:.0f} ms; ratio {o / b:.2f}x)")


def _engine(root: Path, playlist: Path, clock) -> SessionEngine:
    from player.audio.fake import FakeOutput
    from player.audio.mixer import Mixer

    config = config_from_mapping({"room": "Bench", "data_dir": str(root / "data-engine")})
    mixer = Mixer(FakeOutput(clock=clock, cap_db=config.volume.max_db), config, clock)
    return SessionEngine(config, mixer, clock, load_playlist=load_playlist)


def drift(root: Path, playlist: Path) -> None:
    plan = yaml.safe_load(playlist.read_text())
    for phase, minutes in zip(plan["phases"], (10, 20, 60, 60, 90), strict=True):
        phase["duration"] = f"{minutes}m"
    long_pl = root / "four-hours.yaml"
    long_pl.write_text(yaml.safe_dump(plan))
    clock = FakeClock()
    engine = _engine(root, long_pl, clock)
    engine.start()
    try:
        sid = engine.submit("start", source="cli", playlist=str(long_pl))["session_id"]
        t0 = time.perf_counter()
        steps = 0
        while engine.status()["state"] != "ended":
            clock.advance(0.997)
            engine.sync()
            steps += 1
        wall = time.perf_counter() - t0
    finally:
        engine.close()
    events = read_events(root / "data-engine" / "sessions" / sid / "events.jsonl")
    starts = [e["elapsed_s"] for e in events if e["type"] == "phase_started"]
    planned = np.cumsum([0, 600, 1200, 3600, 3600])
    err_ms = np.max(np.abs(np.array(starts) - planned)) * 1000
    print(f"phase drift, 4 h plan on the fake clock ({steps} uneven steps, {wall:.1f} s of real time): "
          f"max boundary error {err_ms:.3f} ms over {len(starts)} phase starts")
    # Real time: five 2-second phases on the system clock; lateness of each boundary as noticed.
    from player.clock import SystemClock

    for phase in plan["phases"]:
        phase["duration"] = "2s"
        phase.pop("fade_out", None)
        phase.pop("fade_in", None)
    plan["crossfade"] = "1s"
    short = root / "short.yaml"
    short.write_text(yaml.safe_dump(plan))
    engine = _engine(root, short, SystemClock())
    noticed: list[float] = []
    engine.start()
    try:
        t0 = time.monotonic()
        engine.subscribe(lambda r: noticed.append(time.monotonic() - t0) if r["type"] == "phase_started" else None)
        engine.submit("start", source="cli", playlist=str(short))
        while engine.status()["state"] != "ended" and time.monotonic() - t0 < 30:
            time.sleep(0.05)
    finally:
        engine.close()
    late = [(n - noticed[0] - 2.0 * i) * 1000 for i, n in enumerate(noticed)][1:]
    print(f"phase boundaries on the system clock: noticed {statistics.median(late):.1f} ms late (median), "
          f"max {max(late):.1f} ms (engine tick 20 ms); recorded times are the exact planned ends")


def _first_audible(capture: Path, after_s: float, threshold_db: float = -90.0) -> float | None:
    raw = capture.read_bytes()
    samples = np.frombuffer(raw[: len(raw) - len(raw) % 4], dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768
    n = 48000 // 100
    start = int(after_s * 48000) // n
    for w in range(start, len(samples) // n):
        peak = np.max(np.abs(samples[w * n:(w + 1) * n]))
        if peak > 0 and 20 * np.log10(peak) > threshold_db:
            return w * n / 48000
    return None


def kill9(root: Path, playlist: Path) -> None:
    cfg = _config_file(root, audio={"output": "vlc", "device": "pulse"}, volume={"fade_in_s": 2.0})
    sock = root / "data" / "control.sock"
    with VirtualSink() as sink:
        capture = root / "capture.raw"
        sink.record(capture)
        t_capture = time.monotonic()

        def daemon() -> subprocess.Popen:
            proc = subprocess.Popen([PY, "-m", "player.cli", "run", "--config", str(cfg)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                        s.connect(str(sock))
                        return proc
                except OSError:
                    time.sleep(0.02)
            raise RuntimeError("daemon did not start")

        first = daemon()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(str(sock))
            s.sendall(json.dumps({"action": "start", "playlist": str(playlist)}).encode() + b"\n")
            s.makefile().readline()
        time.sleep(8)
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic() - t_capture
        first.wait()
        second = daemon()
        time.sleep(8)
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    back = _first_audible(capture, killed_at + 0.6)  # the capture lags ~0.5 s: skip the old stream's tail
    print(f"kill -9 -> audio back: first sample above -90 dBFS {back - killed_at:.2f} s after the kill "
          "(includes Python + libVLC start and the 1-2 s muted pre-roll; then a full fade-in from silence)"
          if back else "kill -9 -> audio back: no audio in the capture after the restart")


def log_rate(root: Path, n: int, rounds: int = 5) -> None:
    """Alternate our log and the bare baseline in rounds (a shared disk is noisy) and compare medians."""
    record = {"seq": 1, "time": "2026-01-01T09:00:00.000+01:00", "elapsed_s": 1.0, "type": "marked",
              "source": "web", "details": {"text": "BP 128/82"}, "session_id": "bench"}
    line = encode_record(record)
    ours, base = [], []
    for r in range(rounds):
        with EventLog(root / "log" / f"events-{r}.jsonl") as log:
            t0 = time.perf_counter()
            for i in range(n):
                log.append(record | {"seq": i})
            ours.append(n / (time.perf_counter() - t0))
        fd = os.open(root / f"bare-{r}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        t0 = time.perf_counter()
        for _ in range(n):
            os.write(fd, line)
            os.fsync(fd)
        base.append(n / (time.perf_counter() - t0))
        os.close(fd)
    o, b = statistics.median(ours), statistics.median(base)
    print(f"event log: {o:.0f} fsync'd events/s, median of {rounds} rounds of {n} "
          f"(bare write+fsync of the same line: {b:.0f}/s; ratio {o / b:.2f}x)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-audio", action="store_true", help="skip the kill -9 capture (needs PulseAudio)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        playlist = _demo(root)
        cold_start(root, args.runs)
        drift(root, playlist)
        log_rate(root, 400)
        if not args.skip_audio:
            kill9(root, playlist)
    return 0


if __name__ == "__main__":
    sys.exit(main())
