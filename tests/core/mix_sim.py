"""A MixMachine stepped the way the output shell steps it, on a simulated output and clock.

The machine's public surface only (player/core/mix.py: `MixMachine.step` with the commands
of player/core/mix_commands.py): the simulated output plays what `LoadDeck` loads from its
start, advances it with the clock, pauses it on `PauseDeck`, reports its end, and keeps every
gain the machine sets; loudness figures come from a table a test changes as a measurer
would. What a test reads is what the patient would hear (the gains in time) and what the
session would be told (the events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from player.config import load_config
from player.core.level_model import LevelLimits
from player.core.media import GainResult, MixerEvent, OutputEvent, Source
from player.core.mix import MixInput, MixMachine
from player.core.mix_commands import LoadDeck, Measure, PauseDeck, PlayDeck, ReleaseDeck, SetGain, Tick

TICK_S = 0.02
UNNORMALIZED = GainResult(final=True, unnormalized=True)


@dataclass
class SimDeck:
    """What the simulated output has on one slot."""

    source: Source
    token: int
    position: float
    playing: bool = True
    ended: bool = False


@dataclass
class Sim:
    """The machine, its mix and a simulated output; `run(seconds)` ticks as the engine does."""

    config: dict = field(default_factory=dict)
    now: float = 0.0

    def __post_init__(self) -> None:
        cfg = load_config(self.config)
        self.volume, self.audio = cfg.volume, cfg.audio
        self.machine = MixMachine(cfg.volume, cfg.audio, LevelLimits.of(cfg))
        self.mix = self.machine.new_mix()
        self.decks: dict[str, SimDeck] = {}
        self.lengths: dict[Path, float | None] = {}     # what the output reports (default: the source's)
        self.stall_at: dict[Path, float] = {}           # the stream stops advancing there
        self.broken: set[Path] = set()                  # the output reports "error" when these play
        self.silent_starts: set[Path] = set()           # these never report "playing"
        self.posted: list[OutputEvent] = []             # output events due at the next tick
        self.figures: dict[Path, GainResult] = {}       # default: no measurer (unnormalized)
        self.revision = 0
        self.present = True
        self.events: list[tuple[float, MixerEvent]] = []
        self.gains: dict[str, list[tuple[float, float | None]]] = {"A": [], "B": [], "C": []}
        self.measured: list[Measure] = []
        self.loads: list[tuple[float, LoadDeck]] = []
        self.paused: list[tuple[float, str]] = []
        self.played: list[tuple[float, str]] = []

    # --- the machine's Readings ------------------------------------------------------------
    def position_s(self, slot):
        deck = self.decks.get(slot)
        return None if deck is None else deck.position

    def duration_s(self, slot):
        deck = self.decks.get(slot)
        if deck is None:
            return None
        return self.lengths.get(deck.source.path, deck.source.duration_s)

    def loudness(self, path):
        return self.figures.get(path, UNNORMALIZED)

    def levels_revision(self):
        return self.revision

    def final_levels(self, paths):
        found = (self.figures.get(p) for p in paths)
        return [r.level for r in found if r is not None and r.final and r.level is not None]

    def device_ok(self):
        return self.present

    # --- stepping --------------------------------------------------------------------------
    def step(self, given: MixInput) -> list[MixerEvent]:
        self.mix, commands, events = self.machine.step(self.mix, given, self.now, self)
        self.events += [(self.now, e) for e in events]
        for c in commands:
            if isinstance(c, LoadDeck):
                self.loads.append((self.now, c))
                self.decks[c.slot] = SimDeck(c.source, c.token, c.source.start_s)
                self._started(c.slot)
            elif isinstance(c, ReleaseDeck):
                self.decks.pop(c.slot, None)
                self.gains[c.slot].append((self.now, None))
            elif isinstance(c, PauseDeck):
                self.decks[c.slot].playing = False
                self.paused.append((self.now, c.slot))
            elif isinstance(c, PlayDeck):
                self.decks[c.slot].playing = True
                self.played.append((self.now, c.slot))
                self._started(c.slot)
            elif isinstance(c, SetGain):
                self.gains[c.slot].append((self.now, c.gain_db))
            elif isinstance(c, Measure):
                self.measured.append(c)
        return events

    def _started(self, slot: str) -> None:
        deck = self.decks[slot]
        if deck.source.path in self.broken:
            deck.playing = False
            self.posted.append(OutputEvent("error", slot, deck.token, "cannot decode"))
        elif deck.source.path not in self.silent_starts:
            self.posted.append(OutputEvent("playing", slot, deck.token))

    def tick(self) -> None:
        self.now = round(self.now + TICK_S, 9)
        posted, self.posted = self.posted, []
        for event in posted:
            self.step(event)
        for slot, deck in list(self.decks.items()):
            if not deck.playing or deck.ended:
                continue
            deck.position = min(deck.position + TICK_S, self.stall_at.get(deck.source.path, float("inf")))
            length = self.lengths.get(deck.source.path, deck.source.duration_s)
            if length is not None and deck.position >= length:
                deck.position, deck.ended = length, True
                self.step(OutputEvent("ended", slot, deck.token))
        self.step(Tick())

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / TICK_S)):
            self.tick()

    def run_until(self, kind: str, limit_s: float = 120.0) -> float:
        """Tick until an event of `kind` (returns its time)."""
        seen = len(self.events)
        for _ in range(round(limit_s / TICK_S)):
            self.tick()
            hit = [t for t, e in self.events[seen:] if e.kind == kind]
            if hit:
                return hit[0]
        raise AssertionError(f"no {kind} in {limit_s} s: {self.kinds()}")

    # --- what a test reads -----------------------------------------------------------------
    def kinds(self) -> list[tuple[str, str | None]]:
        return [(e.kind, e.path.stem if e.path else None) for _, e in self.events]

    def details(self, kind: str) -> list[dict]:
        return [e.detail for _, e in self.events if e.kind == kind]

    def gain_at(self, slot: str, t: float) -> float | None:
        """The digital gain the output had on `slot` at `t` (None: muted or nothing loaded)."""
        gain = None
        for when, g in self.gains[slot]:
            if when > t:
                break
            gain = g
        return gain

    def heard(self, slot: str) -> list[float]:
        return [g for _, g in self.gains[slot] if g is not None]


def track(name: str, duration_s: float | None = 300.0, token: int = 1, start_s: float = 0.0) -> Source:
    return Source(Path(f"/music/{name}.flac"), token=token, duration_s=duration_s, start_s=start_s)
