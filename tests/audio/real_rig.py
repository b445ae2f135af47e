"""The Mixer on real libVLC into the virtual sound card, driven like the engine loop (20 ms ticks)."""

from __future__ import annotations

import queue
import threading
import time

from player.audio.analysis import Analyzer
from player.audio.vlc import VlcOutput
from player.clock import SystemClock
from player.config import load_config
from player.engine.loop import Mixer


class RealRig:
    def __init__(self, config: dict, loudness=None) -> None:
        self.config = load_config({**config, "audio": {"device": "pulse", **config.get("audio", {})}})
        self.clock = SystemClock()
        self.mixer = Mixer(VlcOutput(self.config.audio, max_gain_db=self.config.loudness.max_boost_db), self.config,
                           self.clock, Analyzer(loudness) if loudness is not None else None)
        self.queue: queue.Queue = queue.Queue()
        self.events: list[tuple[float, object]] = []
        self.auto_next: list = []
        self.crossfade_s = 2.0
        self.mixer.open(self.queue.put)

    def run(self, seconds: float) -> None:
        pause = threading.Event()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            while not self.queue.empty():
                self._take(self.mixer.handle(self.queue.get()))
            self._take(self.mixer.tick())
            pause.wait(self.mixer.idle_s)

    def _take(self, events) -> None:
        for ev in events:
            self.events.append((time.monotonic(), ev))
            if ev.kind == "needs_track":
                self.mixer.queue_next(self.auto_next.pop(0) if self.auto_next else None, crossfade_s=self.crossfade_s)

    def kinds(self):
        return [(ev.kind, ev.path.stem if ev.path else None) for _, ev in self.events]

    def close(self) -> None:
        self.mixer.close()
