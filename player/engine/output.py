"""The output shell: the one caller of the AudioOutput, stepping the MixMachine on the engine's thread.

`Mixer` is the face the session engine sees (play, crossfade_to, queue_next, pause, ...).
Each call becomes one input to the pure `MixMachine` (player/core/mix.py); the machine
answers with output commands, which `Mixer` performs on the device and the loudness
analyzer, one method per command class, and with mixer events, which the engine takes from
`handle` and `tick`. What the machine must read (positions, lengths, loudness figures, the
device probe) the shell answers as its `Readings`.

`SignallingOutput` wraps the device in the daemon and raises the `player.background.Foreground`
flag on every call that starts or shapes sound, so loudness analysis and other background work
wait while a deck loads, pre-rolls or fades. Both live here because this module is the one
caller of the AudioOutput.

Everything here runs on the engine's thread: it calls `handle` for each output event it
dequeued, `tick` at least as often as `idle_s` asks (20 ms while anything ramps, up to
1 s in steady playback), and the commands below. Nothing blocks except libVLC calls;
loudness is measured ahead on the analyzer's worker thread (player/audio/analysis.py).

Levels (all dB; `player/core/gain.py` turns them into VLC percent in one place)::

    heard     = master + trim + session reference + deck fader + mix fader   (at most the cap)
    deck gain = normalization need + heard, within the track's headroom  (player/core/level_model.py)

* the *deck fader* is what crossfades move (equal-power), and a failed deck's quick fade;
* the *mix fader* ("gate") fades the whole mix: in from silence at a start (dB-linear from
  volume.floor_db over the fade time), out for pause, stop and emergency stop, back in on
  resume. A skip or a phase change during the start fade crossfades between decks while
  the mix fader goes on along its path, so nothing ever rises above that path;
* *master* is the level story of `player.core.levels.MasterLevel`;
* *normalization* is known before a deck is heard (or provisional, then glides).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from player.audio.analysis import Analyzer
from player.audio.api import AudioOutput
from player.background import Foreground
from player.clock import Clock
from player.config import Config
from player.core.deck import Deck
from player.core.level_model import LevelLimits, TrackLevel, heard_of_gain_db
from player.core.levels import MasterLevel
from player.core.media import DeckName, GainResult, MixerEvent, OutputEvent, Source
from player.core.mix import MixInput, MixMachine
from player.core.mix_commands import (
    BeginLevel,
    Closed,
    CrossfadeTo,
    EmergencyStop,
    LoadDeck,
    LoadRefused,
    Measure,
    Opened,
    OutputCommand,
    Pause,
    PauseDeck,
    Play,
    PlayDeck,
    PlaySession,
    QueueNext,
    ReleaseDeck,
    Resume,
    SetGain,
    SetMaster,
    StepMaster,
    Stop,
    Tick,
)
from player.core.mix_modes import Mode

log = logging.getLogger(__name__)


class _Readings:
    """What the machine reads, answered from the output and the analyzer (the machine's `Readings`)."""

    def __init__(self, output: AudioOutput, analyzer: Analyzer) -> None:
        self._out, self._analyzer = output, analyzer

    def position_s(self, slot: DeckName) -> float | None:
        return self._out.position_s(slot)

    def duration_s(self, slot: DeckName) -> float | None:
        return self._out.duration_s(slot)

    def loudness(self, path: Path) -> GainResult:
        return self._analyzer.result(path)

    def levels_revision(self) -> int:
        return self._analyzer.revision

    def final_levels(self, paths: list[Path]) -> list[TrackLevel]:
        return self._analyzer.final_levels(paths)

    def device_ok(self) -> bool:
        return self._out.device_ok()


#: A deck's load and play: until its pre-roll has settled (engineering notes: 1-2 s muted).
START_BUSY_S = 3.0
#: After a volume step (fades step every ~20-100 ms) or a stop.
STEP_BUSY_S = 1.0


class SignallingOutput(AudioOutput):
    """Passes every call to `inner`, marking `foreground` busy for those that start or shape sound.

    A deck's load and play, and each volume step of a fade or crossfade, a pause or stop,
    raise the flag; steady playback makes no calls, so it clears a moment after a fade ends.
    """

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


class Mixer:
    """Plays sources on three decks with safe levels. Engine thread only (see module doc).

    Args:
        output: the device (VlcOutput or FakeOutput), not yet opened.
        config: the player's config (volume, loudness and audio sections are read).
        clock: monotonic clock shared with the engine.
        analyzer: loudness measurements; None plays files at their mastered level (+ trim).
    """

    def __init__(self, output: AudioOutput, config: Config, clock: Clock, analyzer: Analyzer | None = None) -> None:
        self._out = output
        self._clock = clock
        self._analyzer = analyzer or Analyzer(None)
        self._machine = MixMachine(config.volume, config.audio, LevelLimits.of(config))
        self._mix = self._machine.new_mix()
        self._readings = _Readings(output, self._analyzer)
        self._loads: dict[DeckName, tuple[int, int]] = {}
        self._events: list[MixerEvent] = []
        self._open = False
        self._perform: dict[type, Callable[[OutputCommand], LoadRefused | None]] = {
            LoadDeck: self._load, PlayDeck: self._play_deck, PauseDeck: self._pause_deck,
            ReleaseDeck: self._release, SetGain: self._set_gain, Measure: self._measure,
        }

    def __repr__(self) -> str:
        cur, level = self._mix.current, self.level_db
        what = f"{cur.source.name} at {level:.1f} dB" if cur and level is not None else "silent"
        return f"<Mixer {self._mix.mode} {what} master {self.master_db:.1f} dB>"

    # --- stepping the machine and performing what it says ----------------------------------
    def _step(self, given: MixInput) -> None:
        self._mix, commands, events = self._machine.step(self._mix, given, self._clock.monotonic(), self._readings)
        self._events += events
        refused = [r for r in (self._perform[type(c)](c) for c in commands) if r is not None]
        for refusal in refused:
            self._step(refusal)

    def _take(self) -> list[MixerEvent]:
        events, self._events = self._events, []
        return events

    def _load(self, command: LoadDeck) -> LoadRefused | None:
        source = command.source
        try:
            token = self._out.load(command.slot, source.path, source.start_s)
            self._out.set_gain_db(command.slot, None)
            self._out.play(command.slot)
        except Exception as exc:  # noqa: BLE001 - an output failure must never take the engine down
            return LoadRefused(command.slot, command.token, str(exc) or type(exc).__name__)
        self._loads[command.slot] = (command.token, token)
        return None

    def _play_deck(self, command: PlayDeck) -> None:
        self._out.play(command.slot)

    def _pause_deck(self, command: PauseDeck) -> None:
        self._out.pause(command.slot)

    def _release(self, command: ReleaseDeck) -> None:
        self._loads.pop(command.slot, None)
        try:
            self._out.set_gain_db(command.slot, None)
            self._out.stop(command.slot)
        except Exception as exc:  # noqa: BLE001
            log.warning("deck %s: stop failed: %s", command.slot, exc)

    def _set_gain(self, command: SetGain) -> None:
        self._out.set_gain_db(command.slot, command.gain_db)

    def _measure(self, command: Measure) -> None:
        self._analyzer.want(command.path, command.priority)

    def _deck_event(self, event: OutputEvent) -> OutputEvent:
        """The event with the mix's token for the load it belongs to (-1: an older load of that slot)."""
        if event.deck is None:
            return event
        mine, theirs = self._loads.get(event.deck, (-1, -1))
        return dataclasses.replace(event, token=mine if event.token == theirs else -1)

    # --- lifecycle -------------------------------------------------------------------
    def open(self, on_output_event: Callable[[OutputEvent], None]) -> None:
        """Open the output; its events go to `on_output_event` (which must only enqueue)."""
        self._out.open(on_output_event)
        self._open = True
        self._step(Opened())

    def close(self) -> None:
        """Stop at once and release the device; safe twice. (Fade first with `stop`.)"""
        self._analyzer.close()
        if self._open:
            self._open = False
            self._step(Closed())
            self._out.close()

    # --- what the engine reads ---------------------------------------------------------
    @property
    def master(self) -> MasterLevel:
        """The level story (read it; change it through the commands below)."""
        return self._mix.master

    @property
    def mode(self) -> Mode:
        return self._mix.mode

    @property
    def master_db(self) -> float:
        """The master level heard now (it may be rising toward `master_target_db`)."""
        return self._mix.master.value(self._clock.monotonic())

    @property
    def master_target_db(self) -> float:
        return self._mix.master.target_db

    @property
    def level_db(self) -> float | None:
        """The level the current deck is heard at (dB relative to the loudness target), None when silent."""
        cur, now = self._mix.current, self._clock.monotonic()
        return None if cur is None else heard_of_gain_db(self._mix.gain(cur, now), cur.norm.value(now))

    @property
    def heard_db(self) -> float | None:
        """The level heard, relative to the loudness target at 0 dB (what the calibration turns into dBA)."""
        return self._mix.heard_db(self._clock.monotonic())

    @property
    def current(self) -> Source | None:
        """The source heard as "the track" (or entering from silence)."""
        return None if self._mix.current is None else self._mix.current.source

    @property
    def position_s(self) -> float | None:
        cur = self._mix.current
        return None if cur is None else cur.position(self._clock.monotonic())

    @property
    def is_silent(self) -> bool:
        now = self._clock.monotonic()
        return all(self._mix.gain(d, now) is None for d in self._mix.slots.live())

    @property
    def device_ok(self) -> bool:
        return self._mix.device.ok

    @property
    def activity(self) -> str:
        """For staff: silent, preparing (pre-roll and measurement before the first sound), playing, ..."""
        return self._mix.activity()

    @property
    def decks(self) -> list[Deck]:
        """The live decks (for status and tests; do not change them)."""
        return self._mix.slots.live()

    @property
    def idle_s(self) -> float:
        """How long the engine may wait before the next `tick` without coarsening anything (20 ms to 1 s)."""
        return self._mix.idle_s(self._clock.monotonic())

    # --- commands --------------------------------------------------------------------
    def prefetch(self, sources: Iterable[Source]) -> None:
        """Have the loudness of the session's sources measured, in this order (on the worker thread).

        They are the session's tracks: its reference keeps them all even (level_model.reference_db).
        """
        self._step(PlaySession(tuple(source.path for source in sources)))

    def wait_for_prefetch(self, timeout_s: float) -> bool:
        """Block until every measurement asked for so far is done (start-up, tests)."""
        return self._analyzer.wait_idle(timeout_s)

    def begin_level(self, target_db: float | None = None) -> None:
        """A session starts (or resumes after a restart): start low, rise to `target_db` after the start fade."""
        self._step(BeginLevel(target_db))

    def play(self, source: Source, *, fade_in_s: float, after_restart: bool = False) -> None:
        """Start `source` from silence, the mix fading in over `fade_in_s` (crossfades if music is heard).

        `after_restart`: the session is taken up after a restart (a short pre-roll; mix_commands.Play).
        """
        self._step(Play(source, fade_in_s, after_restart))

    def crossfade_to(self, source: Source, *, crossfade_s: float) -> None:
        """Equal-power crossfade into `source` now (after its pre-roll)."""
        self._step(CrossfadeTo(source, crossfade_s))

    def queue_next(self, source: Source | None, *, crossfade_s: float) -> None:
        """Say what follows the current source (None: fade to silence at its end)."""
        self._step(QueueNext(source, crossfade_s))

    def pause(self, fade_s: float = 3.0) -> None:
        self._step(Pause(fade_s))

    def resume(self, fade_s: float = 3.0) -> None:
        self._step(Resume(fade_s))

    def stop(self, fade_s: float = 3.0) -> None:
        self._step(Stop(fade_s))

    def emergency_stop(self, fade_s: float = 0.5) -> None:
        self._step(EmergencyStop(fade_s))

    def set_master_db(self, level_db: float) -> float:
        """Ramp the master level to `level_db` (clamped to the cap) over ~300 ms; cancels a rise."""
        self._step(SetMaster(level_db))
        return self._mix.master.target_db

    def step_master_db(self, delta_db: float) -> float:
        """Step the master level from what is heard now (clamped to the cap); cancels a rise."""
        self._step(StepMaster(delta_db))
        return self._mix.master.target_db

    # --- engine hooks ----------------------------------------------------------------
    def handle(self, event: OutputEvent) -> list[MixerEvent]:
        """React to one output event (dequeued by the engine); returns what happened."""
        self._step(self._deck_event(event))
        return self._take()

    def tick(self) -> list[MixerEvent]:
        """Advance ramps, pre-rolls, schedules, stall and device checks; push gains out."""
        if not self._open:
            return []
        self._step(Tick())
        return self._take()
