#!/usr/bin/env python3
"""Session engine and daemon figures: cold start to READY, phase drift, kill -9 -> audio back, log events/s.

    python bench/session.py [--skip-audio]

Each figure comes with a baseline measured in the same run:
- cold start: `session-player run` until it sends READY=1 on a notify socket, vs a bare
  Python that imports python-vlc and creates a libVLC instance (the floor of any player).
- drift, fake clock: a 4-hour plan on a fake clock moved in random 20-250 ms ticks (a new
  seed each run, printed; --seed repeats one); when the engine acted on each boundary (the
  wall time it stamped on the record) vs a bare loop checking its own random ticks.
- drift, system clock: short real-time sessions; when the engine acted (the record's wall
  time vs the session start) vs a bare thread sleeping to the same instants.
- kill -9: the real daemon playing through libVLC into a virtual sound card is killed and
  restarted; time from the kill to the first non-silent sample in the capture, vs a bare
  python-vlc process started cold in the same capture.
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
import threading
import time
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from player.audio.virtual_sink import VirtualSink
from player.clock import FakeClock
from player.config import config_from_mapping
from player.demo_audio import generate_demo_library
from player.engine.eventlog import EventLog, encode_record
from player.engine.loop import SessionEngine
from player.playlist.validate import load_playlist

PY = sys.executable
BARE_PLAY = """
import sys, time, vlc
instance = vlc.Instance(["--aout=alsa", "--alsa-audio-device=pulse", "--no-volume-save"])
player = instance.media_player_new()
player.set_media(instance.media_new(sys.argv[1]))
player.audio_set_volume(50)
player.play()
time.sleep(4)
player.stop()
"""


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
    from player.engine.loop import Mixer

    config = config_from_mapping({"room": "Bench", "data_dir": str(root / "data-engine")})
    mixer = Mixer(FakeOutput(clock=clock, max_gain_db=config.loudness.max_boost_db), config, clock)
    return SessionEngine(config, mixer, clock, load_playlist=load_playlist)


def _four_hours(root: Path, playlist: Path) -> tuple[Path, np.ndarray]:
    plan = yaml.safe_load(playlist.read_text())
    minutes = (10, 20, 60, 60, 90)
    for phase, m in zip(plan["phases"], minutes, strict=True):
        phase["duration"] = f"{m}m"
    path = root / "four-hours.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path, np.cumsum([0, *minutes]) * 60.0  # every phase start, then the end


def _bare_loop_late_ms(planned: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """How late a bare loop that checks ``now >= boundary`` after each step notices each boundary."""
    times = np.cumsum(steps)
    return np.array([times[np.searchsorted(times, b)] - b for b in planned[1:]]) * 1000


def drift_fake_clock(root: Path, playlist: Path, seed: int | None = None, runs: int = 3) -> None:
    """When the engine ACTED on each boundary of a 4-hour plan, read from the wall clock it acted on.

    A fake clock is moved in random steps between 20 ms (the engine's tick while a fade moves)
    and 250 ms (its longest steady-playback sleep); after each step the engine runs one tick.
    "Acted" is the wall time the engine stamped on each ``phase_started``/``session_ended``
    record (the clock it read when it acted) minus the ``session_started`` stamp, minus the
    planned boundary: a drift (an engine that sums its ticks, or counts a pause twice) grows
    with the hours. The steps are random per run (`seed` repeats one). Baseline, same run: a
    bare loop checking ``now >= boundary`` after each of its OWN random steps from the same
    distribution (not the engine's steps, which would make the ratio 1.00 by construction):
    any ticking loop is this late; a ratio well above 1 means the engine lags its ticks.
    """
    from datetime import datetime

    seed = int.from_bytes(os.urandom(4), "little") if seed is None else seed
    rng = np.random.default_rng(seed)
    long_pl, planned = _four_hours(root, playlist)
    late, bare, ticks, wall = [], [], 0, 0.0
    for run in range(runs):
        steps = rng.uniform(0.02, 0.25, size=int(planned[-1] / 0.02) + 10)
        clock = FakeClock()
        engine = _engine(root / f"drift-{run}", long_pl, clock)
        stamps: dict[str, list[datetime]] = {"start": [], "boundary": []}

        def on_record(record: dict, stamps=stamps) -> None:
            kind = {"session_started": "start", "phase_started": "boundary", "session_ended": "boundary"}
            if record["type"] in kind and (record["type"] != "phase_started" or record["elapsed_s"] > 0):
                stamps[kind[record["type"]]].append(datetime.fromisoformat(record["time"]))

        engine.start()
        engine.subscribe(on_record)
        t0 = time.perf_counter()
        try:
            engine.submit("start", source="cli", playlist=str(long_pl))
            n = 0
            while engine.status()["state"] != "ended":
                clock.advance(float(steps[n]))
                engine.sync()
                n += 1
        finally:
            engine.close()
        wall += time.perf_counter() - t0
        ticks += n
        acted = np.array([(t - stamps["start"][0]).total_seconds() for t in stamps["boundary"]])
        late.extend((acted - planned[1:]) * 1000)
        bare.extend(_bare_loop_late_ms(planned, rng.uniform(0.02, 0.25, size=len(steps))))
    late_ms, bare_ms = np.array(late), np.array(bare)
    print(f"phase drift, 4 h plan on a fake clock, {runs} runs (seed {seed}; {ticks} ticks of 20-250 ms, "
          f"{wall:.1f} s of real time): engine acted {np.median(late_ms):.1f} ms after the planned boundary "
          f"(median, by the wall time it stamped), min {np.min(late_ms):.1f}, max {np.max(late_ms):.1f} ms over "
          f"{len(late_ms)} boundaries; "
          f"baseline (bare loop, its own random ticks): median {np.median(bare_ms):.1f} ms, max "
          f"{np.max(bare_ms):.1f} ms; ratio of medians {np.median(late_ms) / max(np.median(bare_ms), 1e-9):.2f}x, "
          f"last boundary (4 h) {late_ms[len(planned) - 2::len(planned) - 1].max():.1f} ms late at most")


def drift_system_clock(root: Path, playlist: Path, sessions: int = 3) -> None:
    """When the engine acted on each boundary of short sessions on the real clock.

    "Acted" is the wall time in the ``phase_started`` record (read when the engine wrote it,
    1 ms resolution) minus the session's start (its ``session_started`` time) minus the
    planned boundary. "Delivered" is when a listener got the record (system monotonic
    clock), which adds the fsync of the log. Baseline, same run: a bare thread sleeping on
    ``Event.wait`` until each of the same boundaries (the OS timer floor on this machine).
    """
    from datetime import datetime

    from player.clock import SystemClock

    plan = yaml.safe_load(playlist.read_text())
    for phase in plan["phases"]:
        phase["duration"] = "2s"
        phase.pop("fade_out", None)
        phase.pop("fade_in", None)
    plan["crossfade"] = "1s"
    short = root / "short.yaml"
    short.write_text(yaml.safe_dump(plan))
    planned = 2.0 * np.arange(1, len(plan["phases"]) + 1)  # boundaries after the start, and the end
    acted, delivered = [], []
    for _ in range(sessions):
        engine = _engine(root, short, SystemClock())
        records: list[tuple[float, dict]] = []
        done = threading.Event()

        def on_record(record: dict, records=records, done=done) -> None:
            records.append((time.monotonic(), record))
            if record["type"] == "session_ended":
                done.set()

        engine.start()
        engine.subscribe(on_record)
        try:
            t_submit = time.monotonic()
            engine.submit("start", source="cli", playlist=str(short))
            done.wait(30)
        finally:
            engine.close()
        start_wall = datetime.fromisoformat(next(r for _, r in records if r["type"] == "session_started")["time"])
        marks = [(t, r) for t, r in records if r["type"] in ("phase_started", "session_ended") and r["elapsed_s"] > 0]
        for (t, r), boundary in zip(marks, planned, strict=True):
            acted.append(((datetime.fromisoformat(r["time"]) - start_wall).total_seconds() - boundary) * 1000)
            delivered.append((t - t_submit - boundary) * 1000)
    bare = []
    wake = threading.Event()
    for _ in range(sessions):
        t0 = time.monotonic()
        for boundary in planned:
            wake.wait(max(0.0, t0 + boundary - time.monotonic()))
            bare.append((time.monotonic() - t0 - boundary) * 1000)
    print(f"phase boundaries on the system clock ({len(acted)} over {sessions} sessions): engine acted "
          f"{statistics.median(acted):.1f} ms late (median), max {max(acted):.1f} ms (1 ms resolution); delivered "
          f"to a listener {statistics.median(delivered):.1f} ms / max {max(delivered):.1f} ms (adds the log's fsync, "
          f"and counts from before the start command); baseline (bare Event.wait to the same instants): median "
          f"{statistics.median(bare):.2f} ms, max {max(bare):.2f} ms")


def _first_audible(capture: Path, after_s: float, threshold_db: float = -90.0, *,
                   after_silence_s: float = 0.0) -> float | None:
    """Capture time of the first 10 ms window above `threshold_db` from `after_s` on.

    `after_silence_s`: only after the first run of silent windows this long from `after_s` on
    (the killed daemon's tail may still be in the capture then: its clock is offset from the
    wall clock; quiet moments of the music are shorter).
    """
    raw = capture.read_bytes()
    samples = np.frombuffer(raw[: len(raw) - len(raw) % 4], dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768
    n = 48000 // 100
    start = max(0, int(after_s * 48000) // n)
    need, silent = round(after_silence_s * 100), 0
    for w in range(start, len(samples) // n):
        peak = np.max(np.abs(samples[w * n:(w + 1) * n]))
        audible = peak > 0 and 20 * np.log10(peak) > threshold_db
        if audible and silent >= need:
            return w * n / 48000
        silent = 0 if audible else silent + 1
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

        # Baseline first, into a silent capture: a bare python-vlc process started cold, playing the
        # session's first track at once at a fixed volume (the floor of any player coming back).
        time.sleep(1)
        track = load_playlist(playlist).phases[0].tracks[0].path
        bare_at = time.monotonic() - t_capture
        subprocess.run([PY, "-c", BARE_PLAY, str(track)], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
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
    back = _first_audible(capture, killed_at - 1.0, after_silence_s=0.3)   # after the killed stream's tail
    # From the capture's start, not from `bare_at`: the capture's clock is offset from the wall
    # clock (the recorder starts late, playback lags), and the bare player's first sound can fall
    # before `bare_at` in capture time; nothing else sounds before it.
    bare = _first_audible(capture, 0.0)
    if bare is not None and bare >= killed_at:
        bare = None  # nothing from the baseline before the daemon played
    if back is None or bare is None:
        print("kill -9 -> audio back: no audio in the capture after the restart (or from the baseline)")
        return
    print(f"kill -9 -> audio back: first sample above -90 dBFS {back - killed_at:.2f} s after the kill "
          "(includes Python + libVLC start and the 0.3 s muted pre-roll of a restart; then a full fade-in "
          "from silence); "
          f"baseline (bare python-vlc started cold, playing at once, same capture): {bare - bare_at:.2f} s; "
          f"the daemon takes {(back - killed_at) - (bare - bare_at):.2f} s longer (both readings share the "
          "capture's fixed offset from the wall clock, which cancels in the difference, not in a ratio)")


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
    ap.add_argument("--seed", type=int, default=None, help="repeat the fake-clock drift run of this seed")
    ap.add_argument("--only", choices=("cold", "drift", "system", "log", "kill"), action="append",
                    help="run only these figures (repeatable)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        playlist = _demo(root)
        wanted = set(args.only or ("cold", "drift", "system", "log", "kill"))
        if args.skip_audio:
            wanted.discard("kill")
        if "cold" in wanted:
            cold_start(root, args.runs)
        if "drift" in wanted:
            drift_fake_clock(root, playlist, args.seed)
        if "system" in wanted:
            drift_system_clock(root, playlist)
        if "log" in wanted:
            log_rate(root, 400)
        if "kill" in wanted:
            kill9(root, playlist)
    return 0


if __name__ == "__main__":
    sys.exit(main())
