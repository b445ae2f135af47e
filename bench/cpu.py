#!/usr/bin/env python3
"""CPU seconds and peak RSS: the Mixer (20 ms ticks, VlcOutput) vs a bare python-vlc MediaPlayer.

Both play the same 60 s FLAC into a private virtual sound card, each in its own child process
(so RSS is its own), in the same run. Run: .venv/bin/python bench/cpu.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def child(mode: str, path: Path, seconds: float) -> None:
    import vlc

    from player.playlist.model import Track
    from tests.audio.real_rig import RealRig
    pause = threading.Event()
    started = _cpu()   # imports done: from here on it is libVLC start-up and playback
    if mode == "bare":
        inst = vlc.Instance(["--aout=alsa", "--alsa-audio-device=pulse", "--no-volume-save", "--quiet", "--no-video"])
        player = inst.media_player_new()
        player.set_media(inst.media_new_path(str(path)))
        player.audio_set_volume(50)
        player.play()
        pause.wait(seconds)
        played = _cpu()
        player.stop()
    else:
        rig = RealRig({"volume": {"start_db": -18, "default_db": -18}})
        rig.mixer.play(Track(path, duration_s=seconds + 5), fade_in_s=5.0)
        rig.run(seconds)
        played = _cpu()
        rig.close()
    # VmHWM, not ru_maxrss: the latter survives exec and would report the parent's peak
    hwm_kb = int(next(ln for ln in Path("/proc/self/status").read_text().splitlines()
                      if ln.startswith("VmHWM")).split()[1])
    print(json.dumps({"cpu_s": _cpu(), "play_cpu_s": played - started, "rss_mb": hwm_kb / 1024}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--child", nargs=2)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], Path(a.child[1]), a.seconds)
        return 0
    from tests.audio.signals import pink_noise
    from tests.support.audio_sink import AudioSink
    tmp = Path(tempfile.mkdtemp())
    flac = pink_noise(tmp / "bench.flac", a.seconds + 10, -20)
    sink = AudioSink()
    env = {**os.environ, "PULSE_SERVER": sink.start()}
    results = {}
    try:
        for mode in ("bare", "engine"):
            start = time.monotonic()
            out = subprocess.run([sys.executable, __file__, "--seconds", str(a.seconds), "--child", mode, str(flac)],
                                 env=env, capture_output=True, text=True, check=True).stdout
            results[mode] = json.loads(out.strip().splitlines()[-1])
            results[mode]["wall_s"] = time.monotonic() - start
    finally:
        sink.stop()
    bare, eng = results["bare"], results["engine"]
    print(f"playing {a.seconds:g} s of FLAC   CPU s (process)  CPU s (playing)  peak RSS MB")
    for name, r in (("bare python-vlc player", bare), ("Mixer + VlcOutput", eng)):
        print(f"{name:24s} {r['cpu_s']:12.2f} {r['play_cpu_s']:16.2f} {r['rss_mb']:12.1f}")
    print(f"ratio CPU {eng['cpu_s'] / bare['cpu_s']:.2f}x per process, {eng['play_cpu_s'] / bare['play_cpu_s']:.2f}x "
          f"while playing (goal <= 1.15x); RSS +{eng['rss_mb'] - bare['rss_mb']:.1f} MB (goal <= +30 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
