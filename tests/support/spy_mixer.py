"""The real Mixer on the simulated output, recording what the engine asks of it.

Engine tests assert the engine's side of the contract (which source, which fade) on the
calls recorded here, while the real mixer does the work, so a test cannot pass on a
stand-in that does the mixer's job its own way (as a hand-written fake once did).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from player.audio.fake import FakeOutput
from player.clock import Clock
from player.config import Config
from player.core.media import Source
from player.engine.loop import Mixer


class SpyMixer(Mixer):
    """`Mixer` on `FakeOutput`; `calls` holds (method, source file name or None, keyword arguments)."""

    def __init__(self, config: Config, clock: Clock, media: Iterable[tuple[Path, float]] = ()) -> None:
        self.out = FakeOutput(clock=clock, max_gain_db=config.loudness.max_boost_db)
        for path, duration_s in media:
            self.out.add_media(path, duration_s)
        super().__init__(self.out, config, clock)
        self.calls: list[tuple[str, str | None, dict]] = []
        self.prefetched: list[str] = []
        self.closed = False

    def _record(self, kind: str, source: Source | None = None, **kw: object) -> None:
        self.calls.append((kind, None if source is None else source.name, kw))

    def names(self, kind: str) -> list[str | None]:
        return [name for k, name, _ in self.calls if k == kind]

    def prefetch(self, sources: Iterable[Source]) -> None:
        sources = list(sources)
        self.prefetched += [s.name for s in sources]
        super().prefetch(sources)

    def play(self, source: Source, *, fade_in_s: float, after_restart: bool = False) -> None:
        self._record("play", source, fade_in_s=fade_in_s, start_s=source.start_s,
                     **({"after_restart": True} if after_restart else {}))
        super().play(source, fade_in_s=fade_in_s, after_restart=after_restart)

    def crossfade_to(self, source: Source, *, crossfade_s: float) -> None:
        self._record("crossfade_to", source, crossfade_s=crossfade_s, start_s=source.start_s)
        super().crossfade_to(source, crossfade_s=crossfade_s)

    def queue_next(self, source: Source | None, *, crossfade_s: float) -> None:
        self._record("queue_next", source, crossfade_s=crossfade_s)
        super().queue_next(source, crossfade_s=crossfade_s)

    def pause(self, fade_s: float = 3.0) -> None:
        self._record("pause", fade_s=fade_s)
        super().pause(fade_s)

    def resume(self, fade_s: float = 3.0) -> None:
        self._record("resume", fade_s=fade_s)
        super().resume(fade_s)

    def stop(self, fade_s: float = 3.0) -> None:
        self._record("stop", fade_s=fade_s)
        super().stop(fade_s)

    def emergency_stop(self, fade_s: float = 0.5) -> None:
        self._record("emergency_stop", fade_s=fade_s)
        super().emergency_stop(fade_s)

    def set_master_db(self, level_db: float) -> float:
        level = super().set_master_db(level_db)
        self._record("set_master_db", level_db=level)
        return level

    def close(self) -> None:
        self.closed = True
        super().close()
