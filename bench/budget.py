#!/usr/bin/env python3
"""Little CPU: does the music drop out when the whole service has a fraction of one core?

The same steady music (four 40 s tones, 4 s crossfades) is played into the virtual sound card
by (a) the whole daemon on a *fresh* data dir (nothing measured: the loudness analysis runs
beside the music, as on the first session after an import), (b) the same daemon once its
library is measured (optional, `--measured`), and (c) a bare python-vlc player of the same
music (two MediaPlayers, the same crossfade), each alone in a CPU quota of `--quota` percent
of one core: a cgroup with ``cfs_quota_us`` (cgroup v1) or ``cpu.max`` (v2), as systemd's
``CPUQuota=`` sets; ffmpeg children follow their parent into it. The figure is the number of
20 ms windows of digital silence (every sample zero) inside the music, counted in the
capture from the first window above -60 dBFS for `--span` seconds. Needs root (cgroups).

Run: .venv/bin/python bench/budget.py --quota 5 [--quota 3 ...] [--span 45] [--runs 2] [--measured] [--web]
"""

from __future__ import annotations

import argparse
import compileall
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.audio.signals import sine  # noqa: E402
from tests.support.audio_sink import AudioSink, envelope  # noqa: E402

PERIOD_US = 100_000
TRACK_S, CROSSFADE_S = 40.0, 4.0
FREQS = (220.0, 330.0, 440.0, 550.0)

# The baseline: what any libVLC player of this music needs, sequencing and crossfading itself.
BARE = """
import math, sys, threading, vlc
tracks, span, xf = sys.argv[3:], float(sys.argv[1]), float(sys.argv[2])
inst = vlc.Instance(["--aout=alsa", "--alsa-audio-device=pulse", "--no-volume-save", "--quiet", "--no-video"])
players = [inst.media_player_new(), inst.media_player_new()]
wait = threading.Event().wait
def vol(p, g): p.audio_set_volume(max(0, min(100, round(100 * g ** (1 / 3)))))   # cubic volume, linear gain g
cur = players[0]; cur.set_media(inst.media_new_path(tracks[0])); vol(cur, 0.1); cur.play()
for nxt_path in tracks[1:]:
    while (cur.get_length() <= 0 or cur.get_time() < cur.get_length() - xf * 1000):
        wait(0.02)
    nxt = players[1] if cur is players[0] else players[0]
    nxt.set_media(inst.media_new_path(nxt_path)); vol(nxt, 0.0); nxt.play()
    steps = int(xf / 0.02)
    for i in range(steps + 1):
        a = i / steps * math.pi / 2
        vol(cur, 0.1 * math.cos(a)); vol(nxt, 0.1 * math.sin(a)); wait(0.02)
    cur.stop(); cur = nxt
print("done", flush=True)
wait(span)
"""


class CpuQuota:
    """A cgroup limited to `percent` of one core (v1 ``cpu`` controller or v2 ``cpu.max``)."""

    def __init__(self, name: str, percent: float) -> None:
        quota = max(1000, int(PERIOD_US * percent / 100))
        v1 = Path("/sys/fs/cgroup/cpu")
        if (v1 / "cpu.cfs_quota_us").exists():
            self.dir = v1 / name
            self.dir.mkdir(exist_ok=True)
            (self.dir / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.dir / "cpu.cfs_quota_us").write_text(str(quota))
            self.kind = "cgroup v1"
        else:
            v2 = Path("/sys/fs/cgroup")
            if "cpu" not in (v2 / "cgroup.subtree_control").read_text().split():
                (v2 / "cgroup.subtree_control").write_text("+cpu")
            self.dir = v2 / name
            self.dir.mkdir(exist_ok=True)
            (self.dir / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            self.kind = "cgroup v2"

    def enter(self) -> None:
        """Move the calling process into the group (used as Popen's preexec_fn)."""
        (self.dir / "cgroup.procs").write_text(str(os.getpid()))

    def close(self) -> None:
        for _ in range(50):
            try:
                self.dir.rmdir()
                return
            except OSError:
                threading.Event().wait(0.1)   # processes still leaving


def dropouts(samples: np.ndarray, span_s: float) -> tuple[int, float | None]:
    """(20 ms windows of digital silence within `span_s` of the first window above -60 dBFS, its time)."""
    env = envelope(samples, 20.0)
    loud = np.nonzero(env.rms_db > -60.0)[0]
    if not len(loud):
        return -1, None
    first = int(loud[0])
    windows = env.peak_db[first: first + int(span_s / 0.02)]
    return int(np.sum(np.isneginf(windows))), float(env.t[first])


def play_daemon(tmp: Path, tracks: list[Path], data: Path, span_s: float, quota: CpuQuota, env: dict,
                web: bool = False) -> None:
    config = tmp / "config.yaml"
    config.write_text(f"room: Bench\ndata_dir: {data}\naudio: {{device: pulse}}\nhardware: {{enabled: false}}\n"
                      f"web: {{enabled: {str(web).lower()}, port: 0}}\n"
                      "volume: {start_db: -20, default_db: -20, fade_in_s: 2}\n")
    playlist = tmp / "budget.yaml"
    names = ", ".join(t.name for t in tracks)
    playlist.write_text(f"name: Budget\ncrossfade: {CROSSFADE_S:g}s\nphases:\n  - name: onset\n"
                        f"    duration: {span_s + 30:.0f}s\n    tracks: [{names}]\n")
    exe = str(Path(sys.executable).with_name("session-player"))
    daemon = subprocess.Popen([exe, "run", "--config", str(config)], env=env, preexec_fn=quota.enter,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while subprocess.run([exe, "status", "--config", str(config)], env=env, capture_output=True).returncode:
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("the daemon did not come up")
            threading.Event().wait(0.2)
        subprocess.run([exe, "start", str(playlist), "--config", str(config)], env=env, check=True,
                       capture_output=True, timeout=120)
        threading.Event().wait(span_s + 30)   # start-up (measuring, pre-roll, fade: up to 25 s at 5 %), the span
    finally:
        daemon.terminate()
        daemon.wait(60)


def skipped(data: Path) -> list[str]:
    """The tracks the daemon skipped in its session (a deck that did not start or stalled)."""
    found = []
    for log in data.glob("sessions/*/events.jsonl"):
        for line in log.read_text().splitlines():
            event = json.loads(line)
            if event["type"] == "track_skipped":
                found.append(f"{event['details'].get('file')}: {event['details'].get('reason')}")
    return found


def play_measured(tmp: Path, tracks: list[Path], fresh: Path, span_s: float, quota: CpuQuota, env: dict,
                  web: bool = False) -> None:
    data = fresh.with_name(fresh.name + "-measured")
    data.mkdir()
    shutil.copy(fresh / "loudness-cache.json", data / "loudness-cache.json")
    play_daemon(tmp, tracks, data, span_s, quota, env, web)


def play_bare(tracks: list[Path], span_s: float, quota: CpuQuota, env: dict) -> None:
    subprocess.run([sys.executable, "-c", BARE, str(span_s), str(CROSSFADE_S), *map(str, tracks)], env=env,
                   preexec_fn=quota.enter, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=span_s + TRACK_S * len(tracks) + 120)


def captured(sink: AudioSink, play) -> np.ndarray:
    rec = sink.record()
    try:
        play()
    finally:
        samples = rec.stop()
    return samples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quota", type=float, action="append", help="percent of one core (repeatable; default 5)")
    ap.add_argument("--span", type=float, default=45.0, help="seconds of music counted (default 45)")
    ap.add_argument("--runs", type=int, default=1, help="runs per quota and player (default 1)")
    ap.add_argument("--measured", action="store_true", help="also the daemon on a library measured before")
    ap.add_argument("--web", action="store_true", help="the daemon with its staff web page on (the shipped default)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/budget.py needs root (it makes cgroups)")
        return 2
    # The daemon runs byte-compiled code, as the Debian package installs it (py3compile): a
    # checkout run with PYTHONDONTWRITEBYTECODE compiles every module it imports, and each
    # import during the music (a session's first start) spends the quota the audio needs.
    compileall.compile_dir(str(ROOT / "player"), quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-budget-"))
    tracks = [sine(tmp / f"{i + 1}-tone.flac", TRACK_S, 0.5, f) for i, f in enumerate(FREQS)]
    sink = AudioSink()
    env = {**os.environ, "PULSE_SERVER": sink.start()}
    try:
        print(f"web page {'on' if a.web else 'off'}; 20 ms windows of digital silence in {a.span:g} s of music "
              f"(four {TRACK_S:g} s tones, "
              f"{CROSSFADE_S:g} s crossfades), each player alone in the quota")
        for percent in a.quota or [5.0]:
            for run in range(a.runs):
                quota = CpuQuota(f"session-player-budget-{os.getpid()}", percent)
                fresh = tmp / f"data-{percent:g}-{run}"
                plays = [("daemon, fresh data dir", functools.partial(play_daemon, tmp, tracks, fresh, a.span,
                                                                      quota, env, a.web))]
                if a.measured:   # a new data dir holding only the fresh run's loudness cache
                    plays.append(("daemon, library measured before",
                                  functools.partial(play_measured, tmp, tracks, fresh, a.span, quota, env, a.web)))
                plays.append(("bare python-vlc", functools.partial(play_bare, tracks, a.span, quota, env)))
                try:
                    for label, play in plays:
                        silent, start = dropouts(captured(sink, play), a.span)
                        where = "no audible music" if start is None else f"music from {start:.1f} s of the capture"
                        print(f"quota {percent:4g} % ({quota.kind}) run {run + 1}: {label:32s} {silent:4d} "
                              f"windows ({silent * 0.02:.2f} s)  [{where}]", flush=True)
                        data = {"daemon, fresh data dir": fresh,
                                "daemon, library measured before": fresh.with_name(fresh.name + "-measured")}.get(label)
                        if data is not None and (gone := skipped(data)):
                            print(f"    skipped: {'; '.join(gone)}", flush=True)
                finally:
                    quota.close()
        print("goal: 0 windows for the daemon on a fresh data dir under a 5 % quota")
    finally:
        sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
