"""An audio output that tells background work when the audio path is busy.

`SignallingOutput` wraps the real output (the daemon's wiring; the mixer does not know) and
raises the `player.background.Foreground` flag on every call that starts or shapes sound:
a deck loading and its muted pre-roll (`load`, `play`), a fade or crossfade (each volume
step is a `set_gain_db`), a pause or stop. Steady playback makes no calls, so the flag
clears a moment after a fade ends and background work may go on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from player.audio.api import AudioOutput, DeckName, OutputEvent
from player.background import Foreground

#: A deck's load and play: until its pre-roll has settled (engineering notes: 1-2 s muted).
START_BUSY_S = 3.0
#: After a volume step (fades step every ~20-100 ms) or a stop.
STEP_BUSY_S = 1.0


class SignallingOutput(AudioOutput):
    """Passes every call to `inner`, marking `foreground` busy for those that start or shape sound."""

    def __init__(self, inner: AudioOutput, foreground: Foreground) -> None:
        self.inner = inner
        self._foreground = foreground

    def __repr__(self) -> str:
        return f"<SignallingOutput {self.inner!r} {self._foreground!r}>"

    def open(self, on_event: Callable[[OutputEvent], None]) -> None:
        self.inner.open(on_event)

    def load(self, deck: DeckName, path: Path, start_s: float = 0.0) -> int:
        self._foreground.busy_for(START_BUSY_S)
        return self.inner.load(deck, path, start_s)

    def play(self, deck: DeckName) -> None:
        self._foreground.busy_for(START_BUSY_S)
        self.inner.play(deck)

    def pause(self, deck: DeckName) -> None:
        self._foreground.busy_for(STEP_BUSY_S)
        self.inner.pause(deck)

    def stop(self, deck: DeckName) -> None:
        self._foreground.busy_for(STEP_BUSY_S)
        self.inner.stop(deck)

    def set_gain_db(self, deck: DeckName, gain_db: float | None) -> None:
        self._foreground.busy_for(STEP_BUSY_S)
        self.inner.set_gain_db(deck, gain_db)

    def position_s(self, deck: DeckName) -> float | None:
        return self.inner.position_s(deck)

    def duration_s(self, deck: DeckName) -> float | None:
        return self.inner.duration_s(deck)

    def volume_percent(self, deck: DeckName) -> int:
        return self.inner.volume_percent(deck)

    def device_ok(self) -> bool:
        return self.inner.device_ok()

    def close(self) -> None:
        self.inner.close()
