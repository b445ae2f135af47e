"""Play the short demo session end to end, printing each phase change as it happens.

Generates the synthesized demo library if it is missing, then runs the real player
(libVLC, the session engine, the durable log) through all five phases of the embedded
demo playlist, about three and a half minutes. Plays on the sound card when there is one;
on a machine without one it starts a private virtual sound card (PulseAudio null sink),
so the demo runs the same on a server. Writes the session's HTML report at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
from importlib import resources
from pathlib import Path

from player.audio.virtual_sink import VirtualSink, has_sound_card
from player.daemon import Daemon
from player.durations import format_duration
from player.fsutil import atomic_write_text
from player.reports.report import build_report, render_report

NAME = "demo"
HELP = "play the short demo session (generated music) end to end"


def default_demo_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "session-player" / "demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=None,
                        help=f"where the demo library, playlist and records go (default {default_demo_dir()})")
    parser.add_argument("--device", default=None,
                        help="ALSA device (default: 'default' with a sound card, else a virtual sound card)")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")


def _describe(record: dict) -> str | None:
    d = record.get("details") or {}
    kind = record["type"]
    if kind == "phase_started":
        return f"phase {d.get('phase')} started (until {format_duration(d.get('planned_end_s') or 0)})"
    if kind == "track_started":
        return f"  playing {d.get('file')}"
    if kind == "track_skipped":
        return f"  skipped {d.get('file')}: {d.get('reason')}"
    if kind in ("fault", "fault_cleared"):
        return f"  {kind.replace('_', ' ')}: {d.get('message')}"
    if kind == "session_ended":
        return f"session ended: {d.get('reason')}"
    return None


def run(args: argparse.Namespace) -> int:
    from player.demo_audio import generate_demo_library  # numpy: only the demo needs it

    root = (args.dir or default_demo_dir()).resolve()
    generate_demo_library(root / "demo-audio")
    playlist = root / "demo.yaml"
    atomic_write_text(playlist, resources.files("player").joinpath("data/demo.yaml").read_text(encoding="utf-8"))
    with contextlib.ExitStack() as stack:
        device = args.device
        if device is None and has_sound_card():
            device = "default"
        elif device is None:
            stack.enter_context(VirtualSink())
            device = "pulse"
            print("no sound card: playing into a virtual sound card (PulseAudio null sink)")
        config = {"room": "Demo room", "data_dir": str(root / "data"), "audio": {"device": device},
                  "hardware": {"enabled": False}, "web": {"enabled": False},
                  "session": {"socket": str(root / "data" / "control.sock")}}
        daemon = stack.enter_context(Daemon(config))
        records: queue.Queue = queue.Queue()
        daemon.controller.subscribe(records.put)
        status = daemon.controller.submit("start", source="cli", playlist=str(playlist))
        print(f"session {status['session_id']}: {status['playlist']}, "
              f"{format_duration(status['remaining_s'])} on {device}, cap {status['max_db']} dB")
        while True:
            try:
                record = records.get(timeout=args.timeout)
            except queue.Empty:
                print(f"the demo did not finish within {args.timeout:g} s")
                return 1
            line = _describe(record)
            if line:
                print(f"[{format_duration(record['elapsed_s'])}] {line}", flush=True)
            if record["type"] == "session_ended":
                break
        report = root / f"{status['session_id']}.html"
        atomic_write_text(report, render_report(build_report(root / "data", status["session_id"]), "html"))
        print(f"report: {report}")
    return 0
