"""The audio output, told whether the headphones are there: their loss enters the engine as a device loss.

`HeadsetGate` wraps the real output (libVLC on the BlueALSA PCM). The headset keeper calls
`headset(ready)` from its own thread; the gate then posts the same output event a vanished
sound card produces ("device_lost", or "device_back" which makes the mixer probe again), so
the engine does what it does for any lost device: the music stops for the patient, the
session clock runs on, staff see the fault, and when the device is back the music fades in
from silence where it was. `device_ok` is false while the headset is away, so the mixer's
own probe never "restores" a device the headset is not on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from player.audio.api import AudioOutput, DeckName, OutputEvent
from player.core.bluetooth import HEADPHONES_LOST


class HeadsetGate(AudioOutput):
    """`inner` (not yet opened), plus whether the configured headset is connected with its PCM."""

    def __init__(self, inner: AudioOutput) -> None:
        self._inner = inner
        self._ready = False
        self._post: Callable[[OutputEvent], None] | None = None
        self._lock = threading.Lock()

    def headset(self, ready: bool) -> None:
        """From any thread: the headset became usable (True) or stopped being usable (False)."""
        with self._lock:
            if ready == self._ready:
                return
            self._ready = ready
            post = self._post
        if post is not None:
            post(OutputEvent("device_back") if ready else OutputEvent("device_lost", detail=HEADPHONES_LOST))

    def open(self, on_event: Callable[[OutputEvent], None]) -> None:
        with self._lock:
            self._post = on_event
        self._inner.open(on_event)

    def device_ok(self) -> bool:
        with self._lock:
            ready = self._ready
        return ready and self._inner.device_ok()

    def load(self, deck: DeckName, path: Path, start_s: float = 0.0) -> int:
        return self._inner.load(deck, path, start_s)

    def play(self, deck: DeckName) -> None:
        self._inner.play(deck)

    def pause(self, deck: DeckName) -> None:
        self._inner.pause(deck)

    def stop(self, deck: DeckName) -> None:
        self._inner.stop(deck)

    def set_gain_db(self, deck: DeckName, gain_db: float | None) -> None:
        self._inner.set_gain_db(deck, gain_db)

    def position_s(self, deck: DeckName) -> float | None:
        return self._inner.position_s(deck)

    def duration_s(self, deck: DeckName) -> float | None:
        return self._inner.duration_s(deck)

    def volume_percent(self, deck: DeckName) -> int:
        return self._inner.volume_percent(deck)

    def close(self) -> None:
        with self._lock:
            self._post = None
        self._inner.close()
