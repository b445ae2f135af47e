"""A simulated two-deck output on an injectable clock, for tests, bench and demos off a Pi.

It keeps the real output's observable behaviour (the shared contract tests in
tests/audio/test_output_contract.py run on both): tokens per load, a "playing" event after
`play`, positions that advance with the clock, "ended" at the end of the media, "error" for
files that cannot be decoded. Time is lazy: whatever became due since the last call (a
track's end) is reported on the next call into the output, which the Mixer makes every tick.

Media length comes from `add_media` (test hook) or from the real file via soundfile.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import soundfile

from player.audio.api import AudioOutput
from player.clock import Clock
from player.core.gain import db_to_vlc_percent
from player.core.media import DECKS, DeckName, OutputEvent
from player.errors import AudioFailed

Fault = Literal["error", "stall"]


@dataclass
class _FakeDeck:
    path: Path
    token: int
    duration_s: float | None
    fault: Fault | None
    stall_at_s: float
    position_s: float
    playing_since: float | None = None
    ended: bool = False
    percent: int = 0


@dataclass
class FakeOutput(AudioOutput):
    """Simulated output. Test hooks (not API): `add_media`, `set_device_present`, `run_due`, `calls`, `gains`."""

    clock: Clock
    max_gain_db: float = 0.0     # digital ceiling, as VlcOutput's
    calls: list[tuple[float, str, tuple]] = field(default_factory=list, init=False)
    gains: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: {d: [] for d in DECKS}, init=False)
    _media: dict[Path, tuple[float | None, Fault | None, float]] = field(default_factory=dict, init=False)
    _decks: dict[str, _FakeDeck | None] = field(default_factory=lambda: {d: None for d in DECKS}, init=False)
    _on_event: Callable[[OutputEvent], None] | None = field(default=None, init=False)
    _tokens: int = field(default=0, init=False)
    _device_present: bool = field(default=True, init=False)
    _closed: bool = field(default=False, init=False)

    def __repr__(self) -> str:
        decks = ", ".join(f"{d}:{x.path.name}@{x.percent}%" for d, x in self._decks.items() if x)
        return f"<FakeOutput {decks or 'idle'}>"

    # --- test hooks ---------------------------------------------------------------
    def add_media(self, path: Path | str, duration_s: float | None, fault: Fault | None = None,
                  stall_at_s: float = 0.0) -> None:
        """Declare a medium without a file: its length, and an optional fault."""
        self._media[Path(path)] = (duration_s, fault, stall_at_s)

    def set_device_present(self, present: bool) -> None:
        """Unplug/replug the simulated device (posts device_lost / device_back)."""
        if present != self._device_present:
            self._device_present = present
            self._post(OutputEvent("device_back" if present else "device_lost"))

    def run_due(self) -> None:
        """Post what became due on the clock (what libVLC's threads would have reported by now)."""
        self._advance()

    # --- AudioOutput ----------------------------------------------------------------
    def open(self, on_event: Callable[[OutputEvent], None]) -> None:
        self._on_event, self._closed = on_event, False
        self._record("open")

    def _record(self, name: str, *args: object) -> None:
        self.calls.append((self.clock.monotonic(), name, args))

    def _post(self, event: OutputEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _probe(self, path: Path) -> tuple[float | None, Fault | None, float]:
        if path in self._media:
            return self._media[path]
        try:
            return soundfile.info(str(path)).duration, None, 0.0
        except (OSError, RuntimeError, soundfile.LibsndfileError):
            return None, "error", 0.0

    def _advance(self) -> None:
        """Bring every deck up to the clock; post "ended" for media that ran out."""
        now = self.clock.monotonic()
        for name, deck in self._decks.items():
            if deck is None or deck.playing_since is None:
                continue
            position = deck.position_s + now - deck.playing_since
            if deck.fault == "stall":
                position = min(position, deck.stall_at_s)
            deck.position_s, deck.playing_since = position, now
            if deck.duration_s is not None and position >= deck.duration_s and not deck.ended:
                deck.position_s, deck.playing_since, deck.ended = deck.duration_s, None, True
                self._post(OutputEvent("ended", name, deck.token))  # type: ignore[arg-type]

    def load(self, deck: DeckName, path: Path, start_s: float = 0.0) -> int:
        if self._closed or self._on_event is None:
            raise AudioFailed("the audio output is not open")
        self._advance()
        self._record("load", deck, Path(path), start_s)
        self._tokens += 1
        duration, fault, stall_at = self._probe(Path(path))
        self._decks[deck] = _FakeDeck(Path(path), self._tokens, duration, fault, stall_at, max(0.0, start_s))
        self.gains[deck].append((self.clock.monotonic(), 0))  # a load is muted
        return self._tokens

    def play(self, deck: DeckName) -> None:
        self._advance()
        self._record("play", deck)
        state = self._decks[deck]
        if state is None:
            raise AudioFailed(f"deck {deck}: nothing loaded")
        if state.fault == "error":
            state.ended = True
            self._post(OutputEvent("error", deck, state.token, "cannot decode"))
            return
        if state.playing_since is None and not state.ended:
            state.playing_since = self.clock.monotonic()
            self._post(OutputEvent("playing", deck, state.token))

    def pause(self, deck: DeckName) -> None:
        self._advance()
        self._record("pause", deck)
        state = self._decks[deck]
        if state is not None:
            state.playing_since = None

    def stop(self, deck: DeckName) -> None:
        self._advance()
        self._record("stop", deck)
        self._set_percent(deck, 0)
        self._decks[deck] = None

    def _set_percent(self, deck: DeckName, percent: int) -> None:
        state = self._decks[deck]
        if state is not None and state.percent == percent:
            return
        if state is not None:
            state.percent = percent
        self.gains[deck].append((self.clock.monotonic(), percent))

    def set_gain_db(self, deck: DeckName, gain_db: float | None) -> None:
        self._advance()
        if self._decks[deck] is not None:
            self._set_percent(deck, db_to_vlc_percent(gain_db, self.max_gain_db))

    def volume_percent(self, deck: DeckName) -> int:
        state = self._decks[deck]
        return 0 if state is None else state.percent

    def position_s(self, deck: DeckName) -> float | None:
        self._advance()
        state = self._decks[deck]
        if state is None or state.ended or state.fault == "error":
            return None
        return state.position_s

    def duration_s(self, deck: DeckName) -> float | None:
        state = self._decks[deck]
        return None if state is None or state.duration_s is None or math.isnan(state.duration_s) \
            else state.duration_s

    def device_ok(self) -> bool:
        return self._device_present

    def close(self) -> None:
        if not self._closed:
            self._record("close")
        for deck in DECKS:
            self._decks[deck] = None
        self._closed, self._on_event = True, None
