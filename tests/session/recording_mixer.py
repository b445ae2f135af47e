"""A stand-in for `player.audio.mixer.Mixer` that records what the engine asks of it.

Engine tests about timing and records use it to stay independent of audio; the engine is
also run on the real Mixer (FakeOutput, and VlcOutput into the virtual sound card) in
test_engine_audio.py.
"""

from __future__ import annotations

from player.audio.api import MixerEvent


class RecordingMixer:
    def __init__(self, max_db: float = -6.0, clock=None) -> None:
        self._clock = clock
        self._started_at = 0.0
        self.calls: list[tuple] = []
        self.pending: list[MixerEvent] = []
        self.master_db = -12.0
        self.max_db = max_db
        self.current_track = None
        self._position_s: float | None = None
        self.level_db: float | None = None
        self.opened = self.closed = False
        self.idle_s = 0.02
        self.is_silent = True

    def open(self, on_output_event) -> None:
        self.opened = True

    def prefetch(self, tracks) -> None:
        self.prefetched = [t.path.name for t in tracks]

    def handle(self, event) -> list[MixerEvent]:
        return []

    def tick(self) -> list[MixerEvent]:
        out, self.pending = self.pending, []
        return out

    def _start(self, kind: str, track, **kw) -> None:
        self.calls.append((kind, track.path.name if track else None, kw))
        self.current_track = track
        self._position_s = kw.get("start_s", 0.0)
        self.is_silent = track is None
        self._started_at = self._clock.monotonic() if self._clock else 0.0
        if track is not None:
            self.pending.append(MixerEvent("track_started", track.path))

    def play(self, track, *, fade_in_s: float, start_s: float = 0.0) -> None:
        self._start("play", track, fade_in_s=fade_in_s, start_s=start_s)

    def crossfade_to(self, track, *, crossfade_s: float, start_s: float = 0.0) -> None:
        self._start("crossfade_to", track, crossfade_s=crossfade_s, start_s=start_s)

    @property
    def position_s(self) -> float | None:
        """Where the current track is: its start plus the (fake) time since."""
        if self._position_s is None or self._clock is None:
            return self._position_s
        return self._position_s + self._clock.monotonic() - self._started_at

    def queue_next(self, track, *, crossfade_s: float) -> None:
        self.calls.append(("queue_next", track.path.name if track else None, {"crossfade_s": crossfade_s}))

    def pause(self, fade_s: float = 3.0) -> None:
        self.calls.append(("pause", None, {"fade_s": fade_s}))

    def resume(self, fade_s: float = 3.0) -> None:
        self.calls.append(("resume", None, {"fade_s": fade_s}))

    def stop(self, fade_s: float = 3.0) -> None:
        self.calls.append(("stop", None, {"fade_s": fade_s}))
        self.current_track = None

    def emergency_stop(self, fade_s: float = 0.5) -> None:
        self.calls.append(("emergency_stop", None, {"fade_s": fade_s}))
        self.current_track = None
        self.is_silent = True

    def set_master_db(self, level_db: float) -> float:
        self.master_db = min(level_db, self.max_db)
        self.calls.append(("set_master_db", None, {"level_db": self.master_db}))
        return self.master_db

    def close(self) -> None:
        self.closed = True

    def names(self, kind: str) -> list:
        return [c[1] for c in self.calls if c[0] == kind]
