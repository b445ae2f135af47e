"""The Mixer: decks, fades, crossfades and levels, on the session engine's thread.

Everything here runs on the engine's thread: it calls `handle` for each output event it
dequeued, `tick` at least as often as `idle_s` asks (20 ms while anything ramps, up to
250 ms in steady playback), and the commands below. Nothing blocks except libVLC calls;
loudness is measured ahead on the analyzer's worker thread (player/audio/analysis.py).

Levels (all dB; `gain.py` turns them into VLC percent in one place)::

    heard     = master + trim + session reference + deck fader + mix fader   (at most the cap)
    deck gain = normalization need + heard, within the track's headroom  (player/audio/level_model.py)

* the *deck fader* is what crossfades move (equal-power), and a failed deck's quick fade;
* the *mix fader* ("gate") fades the whole mix: in from silence at a start (dB-linear from
  volume.floor_db over the fade time), out for pause, stop and emergency stop, back in on
  resume. A skip or a phase change during the start fade crossfades between decks while
  the mix fader goes on along its path, so nothing ever rises above that path;
* *master* is the level story of `player.audio.levels.MasterLevel`;
* *normalization* is known before a deck is heard (or provisional, then glides).

The parts: decks (player/audio/deck.py, one state table), the slots they play on
(slots.py), the shared mix (mix.py), the transport (transport.py, by the mode table in
modes.py) and the sequencer (sequencer.py). This module is the face the engine sees.
"""

from __future__ import annotations

from collections.abc import Iterable

from player.audio.analysis import Analyzer
from player.audio.api import AudioOutput, MixerEvent, OutputEvent, Source
from player.audio.deck import Deck, DeckState
from player.audio.device_watch import POLL_S
from player.audio.gain import CrossfadeRamp, Ramp
from player.audio.level_model import LevelLimits, heard_of_gain_db
from player.audio.levels import MasterLevel
from player.audio.mix import PREROLL_S, Mix, Plan
from player.audio.modes import Mode
from player.audio.sequencer import PREROLL_LEAD_S, Sequencer
from player.audio.slots import DeckSlots
from player.audio.transport import Transport
from player.clock import Clock
from player.config import Config
from player.core.cap import cap_db

__all__ = ["Mixer", "PREROLL_S", "TICK_S", "IDLE_TICK_S"]

TICK_S = 0.02               # while anything ramps, the engine should tick this often
IDLE_TICK_S = 0.5           # steady playback: ticking this often is enough (stalls are 1.5 s)


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
        slots = DeckSlots(output, self._analyzer, LevelLimits.of(config), latency_s=config.audio.latency_s)
        self.master = MasterLevel(config.volume, cap_db(config.volume))
        self._m = Mix(slots, self.master, config.volume, clock)
        self._transport = Transport(self._m, output)
        self._seq = Sequencer(self._m, self._transport, output, config.audio, config.volume)
        self._open = False

    def __repr__(self) -> str:
        cur, level = self._m.current, self.level_db
        what = f"{cur.source.name} at {level:.1f} dB" if cur and level is not None else "silent"
        return f"<Mixer {self._m.mode} {what} master {self.master_db:.1f} dB>"

    # --- lifecycle -------------------------------------------------------------------
    def open(self, on_output_event) -> None:
        """Open the output; its events go to `on_output_event` (which must only enqueue)."""
        self._out.open(on_output_event)
        self._open = True
        now = self._clock.monotonic()
        if not self._out.device_ok():
            self._seq.device_lost(now, "audio device missing at start")
        self._seq.device.next_check = now + POLL_S

    def close(self) -> None:
        """Stop at once and release the device; safe twice. (Fade first with `stop`.)"""
        self._analyzer.close()
        if self._open:
            self._open = False
            self._m.current = self._m.next = None
            self._out.close()

    # --- what the engine reads ---------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return self._m.mode

    @property
    def master_db(self) -> float:
        """The master level heard now (it may be rising toward `master_target_db`)."""
        return self.master.value(self._clock.monotonic())

    @property
    def master_target_db(self) -> float:
        return self.master.target_db

    @property
    def level_db(self) -> float | None:
        """The level the current deck is heard at (dB relative to the loudness target), None when silent."""
        cur, now = self._m.current, self._clock.monotonic()
        return None if cur is None else heard_of_gain_db(self._m.gain(cur, now), cur.norm.value(now))

    @property
    def heard_db(self) -> float | None:
        """The level heard, relative to the loudness target at 0 dB (what the calibration turns into dBA)."""
        return self._m.heard_db(self._clock.monotonic())

    @property
    def current(self) -> Source | None:
        """The source heard as "the track" (or entering from silence)."""
        return None if self._m.current is None else self._m.current.source

    @property
    def position_s(self) -> float | None:
        cur = self._m.current
        return None if cur is None else cur.position(self._clock.monotonic())

    @property
    def is_silent(self) -> bool:
        now = self._clock.monotonic()
        return all(self._m.gain(d, now) is None for d in self._m.slots.live())

    @property
    def device_ok(self) -> bool:
        return self._seq.device.ok

    @property
    def activity(self) -> str:
        """For staff: silent, preparing (pre-roll and measurement before the first sound), playing, ..."""
        if not self._seq.device.ok:
            return "device lost"
        if self._m.mode == "playing" and not any(d.is_sounding for d in self._m.slots.live()):
            return "preparing" if self._m.current is not None else "silent"
        return self._m.mode

    @property
    def decks(self) -> list[Deck]:
        """The live decks (for status and tests; do not change them)."""
        return self._m.slots.live()

    @property
    def idle_s(self) -> float:
        """How long the engine may wait before the next `tick` without coarsening anything.

        libVLC's volume is an integer percent, so a fade changes it only every so often: this
        looks ahead in 20 ms steps for the next change of any deck's percent or the end of any
        ramp (20 ms to 250 ms). Steady playback ticks 4 times a second.
        """
        m = self._m
        now = self._clock.monotonic()
        decks = m.slots.live()
        if any(d.state in (DeckState.LOADING, DeckState.PREROLL) for d in decks):
            return TICK_S
        wait = IDLE_TICK_S
        if m.current is not None and m.mode == "playing" and m.current.is_sounding:
            rem = m.slots.remaining(m.current, now)
            if rem is not None:
                lead = (m.plan.crossfade_s if m.plan else m.xfade_hint) + PREROLL_LEAD_S
                wait = min(wait, max(TICK_S, rem - lead - IDLE_TICK_S))
        wait = max(TICK_S, min(wait, self._seq.device.next_check - now))
        ramps = [d.fader for d in decks if isinstance(d.fader, (Ramp, CrossfadeRamp))] + [d.norm for d in decks]
        ramps += [self.master.ramp] + ([m.gate] if isinstance(m.gate, Ramp) else [])
        if all(r.done(now) for r in ramps):
            return wait
        steps = max(1, int(wait / TICK_S + 1e-9))
        for k in range(1, steps + 1):
            t = now + k * TICK_S
            gate, master = m.gate_db(t), self.master.value(t)
            if any(r.done(t) for r in ramps if not r.done(now)) or any(
                    m.slots.percent_at(d, t, gate, master) != d.percent for d in decks):
                return k * TICK_S
        return steps * TICK_S

    # --- commands --------------------------------------------------------------------
    def prefetch(self, sources: Iterable[Source]) -> None:
        """Have the loudness of the session's sources measured, in this order (on the worker thread).

        They are the session's tracks: its reference keeps them all even (level_model.reference_db).
        """
        paths = [source.path for source in sources]
        self._m.slots.play_session(paths)
        for i, path in enumerate(paths):
            self._analyzer.want(path, 100 + i)

    def wait_for_prefetch(self, timeout_s: float) -> bool:
        """Block until every measurement asked for so far is done (start-up, tests)."""
        return self._analyzer.wait_idle(timeout_s)

    def begin_level(self, target_db: float | None = None) -> None:
        """A session starts (or resumes after a restart): start low, rise to `target_db` after the start fade."""
        self.master.begin(self._clock.monotonic(), target_db)

    def play(self, source: Source, *, fade_in_s: float) -> None:
        """Start `source` from silence, the mix fading in over `fade_in_s` (crossfades if music is heard)."""
        self._transport.command("play", source, fade_in_s)

    def crossfade_to(self, source: Source, *, crossfade_s: float) -> None:
        """Equal-power crossfade into `source` now (after its pre-roll)."""
        self._m.xfade_hint = crossfade_s
        self._transport.command("crossfade", source, crossfade_s)

    def queue_next(self, source: Source | None, *, crossfade_s: float) -> None:
        """Say what follows the current source (None: fade to silence at its end)."""
        m = self._m
        m.xfade_hint = crossfade_s
        nxt = m.next
        if nxt is not None and nxt.cue.kind == "planned":
            if source is not None and nxt.source.token == source.token:
                return                                     # already pre-rolling it
            m.stop(nxt)
        m.plan = Plan(source, crossfade_s)
        if source is not None:
            self._analyzer.want(source.path, 10)

    def pause(self, fade_s: float = 3.0) -> None:
        self._transport.command("pause", None, fade_s, kind="pause")

    def resume(self, fade_s: float = 3.0) -> None:
        self._transport.command("resume", None, fade_s)

    def stop(self, fade_s: float = 3.0) -> None:
        self._transport.command("stop", None, fade_s, kind="stop")

    def emergency_stop(self, fade_s: float = 0.5) -> None:
        self._transport.command("emergency", None, min(fade_s, 0.5), kind="emergency")

    def set_master_db(self, level_db: float) -> float:
        """Ramp the master level to `level_db` (clamped to the cap) over ~300 ms; cancels a rise."""
        return self.master.set(self._clock.monotonic(), level_db)

    def step_master_db(self, delta_db: float) -> float:
        """Step the master level from what is heard now (clamped to the cap); cancels a rise."""
        return self.master.step(self._clock.monotonic(), delta_db)

    # --- engine hooks ----------------------------------------------------------------
    def handle(self, event: OutputEvent) -> list[MixerEvent]:
        """React to one output event (dequeued by the engine); returns what happened."""
        now = self._clock.monotonic()
        if event.kind == "device_lost":
            self._seq.device_lost(now, event.detail or "device lost")
        elif event.kind == "device_back":
            self._seq.device.next_check = now
        else:
            deck = self._m.slots.by_slot(event.deck)
            if deck is not None and deck.load_token == event.token:
                if event.kind == "playing":
                    deck.seen_playing = True
                elif event.kind == "error":
                    self._seq.failed(deck, now, event.detail or "cannot open or decode")
                elif event.kind == "ended":
                    self._seq.ended(deck, now)
        self._m.apply(now)
        return self._m.take()

    def tick(self) -> list[MixerEvent]:
        """Advance ramps, pre-rolls, schedules, stall and device checks; push gains out."""
        if not self._open:
            return []
        now = self._clock.monotonic()
        self._seq.tick(now)
        self._m.apply(now)
        return self._m.take()
