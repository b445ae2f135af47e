#!/usr/bin/env python3
"""CPU and memory of what the patient's Pi runs: the whole daemon vs a bare python-vlc player.

The daemon (`session-player run`, hardware off, the web page on or off) plays a session
started over its control socket; beside it, in the same run and over the *same* windows,
a bare python-vlc MediaPlayer plays the same FLAC into the same virtual sound card. So a
noisy shared machine's load hits both alike. Each window's ratio is the daemon's CPU
seconds (every thread's, to the nanosecond, from /proc) over the bare player's; three
windows of 45 s or more, after both have settled; median and spread. RSS is each process's
VmRSS at the end; "children" is what the daemon's child processes hold then (the voice scan's
child leaves 30 s after its last file, so 0 unless a scan is still running: its memory is not
hidden in a child).

Run: .venv/bin/python bench/cpu.py [--window 45] [--windows 3]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# CPU to the nanosecond from every thread's schedstat: /proc/PID/stat counts in clock ticks (10 ms),
# and over a 45 s window a player spends about 0.5 s of CPU, so a tick either way moved each
# window's ratio by 2 %. Steady playback starts and ends no threads: the live ones are all of it.
from player.background import process_cpu_s  # noqa: E402

BARE = """
import sys, threading, vlc
inst = vlc.Instance(["--aout=alsa", "--alsa-audio-device=pulse", "--no-volume-save", "--quiet", "--no-video"])
player = inst.media_player_new()
player.set_media(inst.media_new_path(sys.argv[1]))
player.audio_set_volume(40)
player.play()
print("playing", flush=True)
threading.Event().wait(float(sys.argv[2]))
"""


def rss_mb(pid: int) -> float:
    line = next(ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ln.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def children_rss_mb(pid: int) -> float:
    """RSS of every descendant of `pid` (0 when it has none)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError, StopIteration):   # gone meanwhile
                total += rss_mb(int(child)) + children_rss_mb(int(child))
    return total


def run_pair(tmp: Path, flac: Path, web: bool, window_s: float, windows: int, env: dict) -> dict:
    data = tmp / f"data-{'web' if web else 'noweb'}"
    config = tmp / f"config-{'web' if web else 'noweb'}.yaml"
    config.write_text(f"room: Bench\ndata_dir: {data}\naudio: {{device: pulse}}\nhardware: {{enabled: false}}\n"
                      f"web: {{enabled: {'true' if web else 'false'}, port: 0}}\n"
                      "volume: {start_db: -20, default_db: -20, fade_in_s: 3}\n")
    playlist = tmp / "bench.yaml"
    total = 20 + window_s * windows + 20
    playlist.write_text(f"name: Bench\ncrossfade: 6s\nphases:\n  - name: onset\n    duration: {total:.0f}s\n"
                        f"    tracks: [{flac.name}]\n")
    exe = str(Path(sys.executable).with_name("session-player"))
    daemon = subprocess.Popen([exe, "run", "--config", str(config)], env=env, stderr=subprocess.DEVNULL)
    bare = None
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([exe, "status", "--config", str(config)], env=env, capture_output=True).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("the daemon did not come up")
            time.sleep(0.2)
        subprocess.run([exe, "start", str(playlist), "--config", str(config)], env=env, check=True,
                       capture_output=True)
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(flac), str(total)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert bare.stdout is not None and bare.stdout.readline().strip() == "playing"
        threading.Event().wait(15.0)             # both past their start (and the daemon's first measurement)
        ratios = []
        for _ in range(windows):
            d0, b0 = process_cpu_s(daemon.pid), process_cpu_s(bare.pid)
            threading.Event().wait(window_s)
            d1, b1 = process_cpu_s(daemon.pid), process_cpu_s(bare.pid)
            ratios.append(((d1 - d0) / (b1 - b0), d1 - d0, b1 - b0))
        return {"ratios": ratios, "rss": (rss_mb(daemon.pid), rss_mb(bare.pid)),
                "children": children_rss_mb(daemon.pid)}
    finally:
        for proc in (bare, daemon):
            if proc is not None:
                proc.terminate()
                proc.wait(20)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=float, default=45.0, help="seconds per measured window (default 45)")
    ap.add_argument("--windows", type=int, default=3)
    a = ap.parse_args()
    from tests.audio.signals import pink_noise
    from tests.support.audio_sink import AudioSink

    # The daemon runs byte-compiled code, as the Debian package installs it (py3compile): a
    # checkout run with PYTHONDONTWRITEBYTECODE compiles every module it imports, and each
    # import during the music (a session's first start) spends the quota the audio needs.
    compileall.compile_dir(str(ROOT / "player"), quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    flac = pink_noise(tmp / "bench.flac", 20 + a.window * a.windows + 40, -20)
    sink = AudioSink()
    env = {**os.environ, "PULSE_SERVER": sink.start()}
    try:
        print(f"daemon vs bare python-vlc, same FLAC, same {a.windows} x {a.window:g} s windows")
        print(f"{'':10s} {'ratio per window':28s} {'median':>7s} {'spread':>7s} {'daemon CPU s':>13s} "
              f"{'bare CPU s':>11s} {'RSS daemon/bare MB':>19s} {'children MB':>12s}")
        for web in (False, True):
            r = run_pair(tmp, flac, web, a.window, a.windows, env)
            ratios = [x for x, _, _ in r["ratios"]]
            print(f"{'web on' if web else 'web off':10s} {', '.join(f'{x:.2f}x' for x in ratios):28s} "
                  f"{statistics.median(ratios):6.2f}x {max(ratios) - min(ratios):6.2f}x "
                  f"{sum(d for _, d, _ in r['ratios']):13.2f} {sum(b for _, _, b in r['ratios']):11.2f} "
                  f"{r['rss'][0]:8.1f} / {r['rss'][1]:.1f} (+{r['rss'][0] - r['rss'][1]:.1f}) {r['children']:8.1f}")
        print("goal: median <= 1.10x, RSS <= +25 MB")
    finally:
        sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
