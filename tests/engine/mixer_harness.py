"""Drive a Mixer on FakeOutput + FakeClock the way the session engine does (engine-thread only)."""

from __future__ import annotations

import queue
from pathlib import Path

from player.audio.analysis import Analyzer
from player.audio.fake import FakeOutput
from player.background import Foreground
from player.clock import FakeClock
from player.config import load_config
from player.core.gain import vlc_percent_to_db
from player.core.media import MixerEvent, Source
from player.engine.loop import Mixer

TICK_S = 0.02


class Rig:
    """Mixer + FakeOutput + FakeClock; `run(seconds)` ticks like the engine loop and keeps events."""

    def __init__(self, config: dict | None = None, loudness=None) -> None:
        self.config = load_config(config or {"volume": {"fade_in_s": 10}})
        self.clock = FakeClock()
        self.out = FakeOutput(self.clock, max_gain_db=self.config.loudness.max_boost_db)
        self.analyzer = Analyzer(loudness, threaded=False) if loudness is not None else None
        self.foreground = Foreground(self.clock.monotonic)
        self.mixer = Mixer(self.out, self.config, self.clock, self.analyzer, self.foreground)
        self.queue: queue.Queue = queue.Queue()
        self.events: list[tuple[float, MixerEvent]] = []
        self.mixer.open(self.queue.put)
        self.auto_next: list[Source] = []   # answers needs_track with these, in order
        self.crossfade_s = 4.0
        self._tokens = 0

    def track(self, name: str, duration_s: float | None, fault=None, gain_db: float = 0.0,
              stall_at_s: float = 0.0) -> Source:
        path = Path(f"/music/{name}.flac")
        self.out.add_media(path, duration_s, fault, stall_at_s)
        self._tokens += 1
        return Source(path, token=self._tokens, trim_db=gain_db, duration_s=duration_s)

    def _take(self, events: list[MixerEvent]) -> None:
        for ev in events:
            self.events.append((self.clock.monotonic(), ev))
            if ev.kind == "needs_track":
                nxt = self.auto_next.pop(0) if self.auto_next else None
                self.mixer.queue_next(nxt, crossfade_s=self.crossfade_s)

    def run(self, seconds: float, *, by_hint: bool = False) -> None:
        """Tick every 20 ms, or (`by_hint`) as the engine loop does: sleep `idle_s`, then tick."""
        end = self.clock.monotonic() + seconds
        for _ in range(round(seconds / TICK_S)):
            if self.clock.monotonic() >= end - 1e-9:
                break
            self.clock.advance(self.mixer.idle_s if by_hint else TICK_S)
            while not self.queue.empty():
                self._take(self.mixer.handle(self.queue.get()))
            self._take(self.mixer.tick())

    def kinds(self) -> list[tuple[str, str | None]]:
        return [(ev.kind, ev.path.stem if ev.path else None) for _, ev in self.events]

    def when(self, kind: str, name: str | None = None) -> float:
        return next(t for t, ev in self.events if ev.kind == kind and (name is None or ev.path.stem == name))

    def level_at(self, deck: str, t: float) -> float | None:
        """Gain (dB) the fake deck had at clock time t."""
        pct = 0
        for when, p in self.out.gains[deck]:
            if when > t:
                break
            pct = p
        return vlc_percent_to_db(pct)

    def all_gains_db(self) -> list[float]:
        return [vlc_percent_to_db(p) for d in self.out.gains for _, p in self.out.gains[d] if p > 0]
