"""The Mixer: two decks, fades, crossfades, master volume and the cap, on the engine's thread.

Everything here runs on the session engine's thread: it calls `handle` for each output event
it dequeued, `tick` at least as often as `idle_s` asks (20 ms while anything ramps, up to
250 ms in steady playback), and the commands below. Nothing blocks except libVLC calls;
loudness analysis of upcoming tracks runs on one worker thread that only reads files.

Levels (all dB; `gain.py` turns them into VLC percent in one place)::

    deck gain = normalization + trim + fader + master      (clamped to volume.max_db)

* ``fader`` is what fades and crossfades move (0 dB = full, None = muted); fades are
  dB-linear from/to the floor (volume.floor_db relative to the level), crossfades equal-power.
* ``master`` ramps over 300 ms to what staff set; a session start holds it at
  volume.start_db while the track fades in, then ramps to the playing level.

Stream starts are not clean in libVLC (the first second of a new stream may be dropped or
delayed), so a deck always starts muted and *pre-rolls*: its fade begins only once it has
reported Playing, its time has advanced, and it has played for `PREROLL_S`. Crossfades are
planned so the outgoing track ends exactly at the end of the fade; the incoming deck is
started `PREROLL_S` + margin before that.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from player.audio.api import DECKS, AudioOutput, DeckName, MixerEvent, OutputEvent
from player.audio.gain import CrossfadeRamp, Ramp, crossfade_length_s, db_to_vlc_percent, effective_db
from player.clock import Clock
from player.config import Config
from player.playlist.model import Track

log = logging.getLogger(__name__)

MAX_EXTRAPOLATION_S = 1.0  # never guess further than this past libVLC's last time report
PREROLL_S = 2.0          # a new stream plays muted this long (after it advances) before it may be heard
PREROLL_LEAD_S = 3.0     # decks for a planned crossfade start this long before it
FAILED_FADE_S = 0.5      # a deck that failed while audible fades out this fast
RESUME_SETTLE_S = 0.3    # a resumed deck plays muted this long before fading back in
NEEDS_TRACK_MARGIN_S = 10.0  # needs_track comes this much earlier than the pre-roll must start
DEFAULT_CROSSFADE_S = 8.0
MASTER_RAMP_S = 0.3      # staff volume changes
LEVEL_RAMP_S = 10.0      # from volume.start_db to the playing level after a start fade
DEVICE_POLL_S = 5.0
TICK_S = 0.02            # while anything ramps, the engine should tick this often
IDLE_TICK_S = 0.25       # steady playback: ticking this often is enough (stall checks, schedules)
POSITION_POLL_S = 0.1    # libVLC updates its time only every ~250 ms; in between we interpolate
DEVICE_RETRY_FIRST_S = 1.0
START_TIMEOUT_CAP_S = 2.0  # a deck that never advances fails after min(stall_timeout_s, this)
UNKNOWN_LOUDNESS_GAIN_DB = -6.0  # used while a track's loudness is not known yet: err quiet

Mode = Literal["silent", "playing", "pausing", "paused", "stopping"]


class LoudnessLookup(Protocol):
    def gain_db(self, path: Path) -> float:
        """Normalization gain for the file (may read or measure it: slow the first time)."""


@dataclass
class _Deck:
    name: DeckName
    track: Track
    token: int
    norm_db: float
    started_at: float                       # clock time of output.play()
    settle_s: float = PREROLL_S
    seen_playing: bool = False
    advanced: bool = False
    ready_at: float | None = None           # when it had pre-rolled enough to be heard
    last_raw: float | None = None           # last position the output reported
    anchor: tuple[float, float] | None = None  # (clock, position) when that report changed
    fader: Ramp | CrossfadeRamp | float | None = None  # None = muted
    entry: Callable[[float], None] | None = None  # what to do once ready
    role: Literal["main", "next", "out"] = "main"
    forced: bool = False                    # started by crossfade_to, not by the plan
    ended_emitted: bool = False
    polled_at: float = -math.inf
    percent: int = 0                        # VLC volume last sent (saves a libVLC call per tick)

    def fader_db(self, now: float) -> float | None:
        f = self.fader
        return f.value(now) if isinstance(f, (Ramp, CrossfadeRamp)) else f

    def position(self, now: float) -> float | None:
        """Interpolated position: libVLC reports time in ~250 ms steps."""
        if self.anchor is None:
            return self.last_raw
        t, pos = self.anchor
        return pos + min(now - t, MAX_EXTRAPOLATION_S)

    def __repr__(self) -> str:
        return f"<Deck {self.name} {self.role} {self.track.path.name}>"


@dataclass
class _Plan:
    """What follows the main deck: the queued track (None = silence) and the crossfade length."""

    track: Track | None
    crossfade_s: float


@dataclass
class _Pending:
    """A command postponed until the running crossfade ends (two decks, never three)."""

    track: Track
    crossfade_s: float
    start_s: float


@dataclass
class _Device:
    ok: bool = True
    next_check: float = 0.0
    backoff_s: float = DEVICE_RETRY_FIRST_S
    resume: tuple[Track, float] | None = None  # what played when it went, and where


@dataclass
class _Events:
    items: list[MixerEvent] = field(default_factory=list)

    def emit(self, what: str, path: Path | None = None, **detail: object) -> None:
        self.items.append(MixerEvent(what, path, dict(detail)))  # type: ignore[arg-type]

    def take(self) -> list[MixerEvent]:
        items, self.items = self.items, []
        return items


class Mixer:
    """Plays tracks on two decks with safe levels. Engine thread only (see module doc).

    Args:
        output: the device (VlcOutput or FakeOutput), not yet opened.
        config: the player's config (volume, loudness, audio sections are read).
        clock: monotonic clock shared with the engine.
        loudness: normalization lookup; None plays files at their mastered level (+ trim).
    """

    def __init__(self, output: AudioOutput, config: Config, clock: Clock,
                 loudness: LoudnessLookup | None = None) -> None:
        self._out = output
        self._vol = config.volume
        self._audio = config.audio
        self._clock = clock
        self._loudness = loudness
        self._cap = config.volume.max_db
        self._decks: dict[DeckName, _Deck | None] = {d: None for d in DECKS}
        self._master_target = min(config.volume.default_db, self._cap)
        self._master = Ramp(self._master_target, self._master_target, 0.0, 0.0, -math.inf)
        self._hold_start_level = False       # a start fade holds master at volume.start_db
        self._mode: Mode = "silent"
        self._fade_kind = ""
        self._plan: _Plan | None = None
        self._needs_sent = False
        self._crossfade_hint = DEFAULT_CROSSFADE_S
        self._pending: _Pending | None = None
        self._entry_fade_s: float | None = None  # a start fade not yet given to a track
        self._device = _Device()
        self._events = _Events()
        self._analysis: dict[Path, Future[float]] = {}
        self._worker: ThreadPoolExecutor | None = None
        self._open = False

    def __repr__(self) -> str:
        main = self._main()
        what = f"{main.track.path.name} at {self.level_db:.1f} dB" if main and self.level_db is not None else "silent"
        return f"<Mixer {self._mode} {what} master {self.master_db:.1f} dB>"

    # --- lifecycle -------------------------------------------------------------------
    def open(self, on_output_event: Callable[[OutputEvent], None]) -> None:
        """Open the output; events from it go to `on_output_event` (which must only enqueue)."""
        self._out.open(on_output_event)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loudness")
        self._open = True
        now = self._clock.monotonic()
        if not self._out.device_ok():
            self._device_lost(now, "audio device missing at start")
        self._device.next_check = now + DEVICE_POLL_S

    def close(self) -> None:
        """Stop at once and release the device; safe twice. (Fade first with `stop`.)"""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=False, cancel_futures=True)
        if self._open:
            self._open = False
            for name in DECKS:
                self._decks[name] = None
            self._out.close()

    # --- properties ------------------------------------------------------------------
    @property
    def master_db(self) -> float:
        return self._master_target

    @property
    def level_db(self) -> float | None:
        """Effective gain (dB) of the audible main deck now, None when silent."""
        main = self._main()
        return None if main is None else self._deck_gain(main, self._clock.monotonic())

    @property
    def current_track(self) -> Track | None:
        main = self._main()
        return None if main is None else main.track

    @property
    def position_s(self) -> float | None:
        main = self._main()
        return None if main is None else main.position(self._clock.monotonic())

    @property
    def is_silent(self) -> bool:
        now = self._clock.monotonic()
        return all(d is None or self._deck_gain(d, now) is None for d in self._decks.values())

    @property
    def device_ok(self) -> bool:
        return self._device.ok

    @property
    def idle_s(self) -> float:
        """How long the engine may wait before the next `tick` without coarsening anything.

        libVLC's volume is an integer percent, so a fade changes it only every so often (a 45 s
        fade about once a second): this looks ahead in 20 ms steps for the next change of any
        deck's percent or the end of any ramp, and returns the time to it (20 ms to 250 ms).
        Steady playback ticks 4 times a second, which keeps the engine's CPU near bare libVLC's.
        """
        now = self._clock.monotonic()
        decks = self._live()
        if any(d.ready_at is None for d in decks):
            return TICK_S                                     # pre-roll: watch for readiness
        wait = IDLE_TICK_S
        main = self._main()
        remaining = self._remaining(main, now) if main is not None and self._mode == "playing" else None
        if remaining is not None:
            lead = (self._plan.crossfade_s if self._plan else self._crossfade_hint) + PREROLL_LEAD_S
            wait = min(wait, max(TICK_S, remaining - lead - IDLE_TICK_S))
        wait = max(TICK_S, min(wait, self._device.next_check - now))
        ramps = [d.fader for d in decks if isinstance(d.fader, (Ramp, CrossfadeRamp))] + [self._master]
        if all(r.done(now) for r in ramps):
            return wait
        steps = max(1, int(wait / TICK_S + 1e-9))
        for k in range(1, steps + 1):
            t = now + k * TICK_S
            if any(r.done(t) for r in ramps if not r.done(now)) or any(
                    db_to_vlc_percent(self._deck_gain(d, t), self._cap) != d.percent for d in decks):
                return k * TICK_S
        return steps * TICK_S

    @property
    def mode(self) -> Mode:
        return self._mode

    # --- commands --------------------------------------------------------------------
    def prefetch(self, tracks: Iterable[Track]) -> None:
        """Start measuring the loudness of tracks that will play (on the worker thread)."""
        for track in tracks:
            self._analyze(track.path)

    def wait_for_prefetch(self, timeout_s: float) -> bool:
        """Block until every loudness measurement asked for so far is done (start-up, tests)."""
        futures = list(self._analysis.values())
        done, _ = wait(futures, timeout=timeout_s) if futures else (set(), set())
        return len(done) == len(futures)

    def play(self, track: Track, *, fade_in_s: float, start_s: float = 0.0) -> None:
        """Start from silence: fade from the floor to volume.start_db, then to the master level."""
        now = self._clock.monotonic()
        if self._mode in ("playing", "pausing") and not self.is_silent:
            log.warning("play() while audible: crossfading instead")
            self.crossfade_to(track, crossfade_s=fade_in_s, start_s=start_s)
            return
        self._stop_all(now, emit_ended=True)
        self._mode, self._plan, self._needs_sent, self._pending = "playing", None, False, None
        self._hold_start_level = True
        self._retarget_master(now, 0.0)
        self._entry_fade_s = fade_in_s
        if self._device.ok:
            self._start_main(track, start_s, now)
        else:
            self._device.resume = (track, start_s)

    def crossfade_to(self, track: Track, *, crossfade_s: float, start_s: float = 0.0) -> None:
        """Equal-power crossfade into `track` now (after its pre-roll)."""
        now = self._clock.monotonic()
        self._crossfade_hint = crossfade_s
        main = self._main()
        if self._mode in ("pausing", "stopping") and main is not None:
            main.role = "out"  # keeps fading to silence; the new track fades in beside it
            main = None
            self._drop_next(now)
        if main is not None and main.fader is None and self._mode == "playing":
            self._stop_deck(main, emit_ended=False)       # never heard yet: replace it silently,
            self._drop_next(now)
            self._start_main(track, start_s, now, crossfade_s=crossfade_s)   # keeping a start fade
            return
        if main is None or self._mode in ("silent", "paused"):
            self._entry_fade_s = None
            self._mode, self._hold_start_level = "playing", False
            self._retarget_master(now, MASTER_RAMP_S)
            self._plan, self._needs_sent, self._pending = None, False, None
            for deck in self._live():
                if deck.role != "out":
                    self._stop_deck(deck, emit_ended=True)
            if self._device.ok:
                self._start_main(track, start_s, now, crossfade_s=crossfade_s)
            else:
                self._device.resume = (track, start_s)
            return
        if self._deck_with_role("out") is not None:
            self._pending = _Pending(track, crossfade_s, start_s)
            return
        self._drop_next(now)
        self._plan = None
        deck = self._load(self._other(main.name), track, start_s, now, role="next")
        if deck is not None:
            deck.forced = True
            deck.entry = lambda t: self._begin_crossfade(t, crossfade_s, end_at=None)

    def queue_next(self, track: Track | None, *, crossfade_s: float) -> None:
        """Say what follows the current track (None: fade to silence at its end)."""
        now = self._clock.monotonic()
        self._crossfade_hint = crossfade_s
        nxt = self._deck_with_role("next")
        if nxt is not None and not nxt.forced and nxt.fader is None:
            if track is not None and nxt.track == track:
                return  # already pre-rolling it
            self._drop_next(now)
        self._plan = _Plan(track, crossfade_s)
        if track is not None:
            self._analyze(track.path)

    def pause(self, fade_s: float = 3.0) -> None:
        self._fade_out_all("pause", fade_s, "pausing")

    def stop(self, fade_s: float = 3.0) -> None:
        self._fade_out_all("stop", fade_s, "stopping")

    def emergency_stop(self, fade_s: float = 0.5) -> None:
        self._fade_out_all("emergency", min(fade_s, 0.5), "stopping")

    def resume(self, fade_s: float = 3.0) -> None:
        """Continue after `pause`, fading back in once the deck runs again."""
        now = self._clock.monotonic()
        if self._mode == "pausing":
            self._mode = "playing"
            for deck in self._live():
                deck.fader = Ramp(deck.fader_db(now), 0.0, now, fade_s, self._floor_rel())
            return
        if self._mode != "paused":
            return
        self._mode = "playing"
        main = self._main()
        if main is None and self._device.ok and self._device.resume is not None:
            (track, position), self._device.resume = self._device.resume, None
            self._mode = "silent"                    # the device went while paused: start afresh
            self.play(track, fade_in_s=fade_s, start_s=position)
            return
        if main is None or not self._device.ok:
            return
        self._out.play(main.name)
        main.started_at, main.ready_at, main.advanced, main.settle_s = now, None, False, RESUME_SETTLE_S
        main.anchor = None
        main.entry = lambda t: self._set_fader(main, Ramp(None, 0.0, t, fade_s, self._floor_rel()))

    def set_master_db(self, level_db: float) -> float:
        """Ramp the master level to `level_db` (clamped to the cap) over ~300 ms."""
        level = max(self._vol.floor_db, min(float(level_db), self._cap)) if math.isfinite(level_db) \
            else self._master_target
        self._master_target = level
        self._retarget_master(self._clock.monotonic(), MASTER_RAMP_S)
        return level

    # --- engine hooks ----------------------------------------------------------------
    def handle(self, event: OutputEvent) -> list[MixerEvent]:
        """React to one output event (dequeued by the engine); returns what happened."""
        now = self._clock.monotonic()
        if event.kind == "device_lost":
            self._device_lost(now, event.detail or "device lost")
        elif event.kind == "device_back":
            self._device.next_check = now
        else:
            deck = self._decks.get(event.deck) if event.deck else None
            if deck is not None and deck.token == event.token:
                if event.kind == "playing":
                    deck.seen_playing = True
                elif event.kind == "error":
                    self._failed(deck, now, event.detail or "cannot open or decode")
                elif event.kind == "ended":
                    self._ended(deck, now)
        self._apply(now)
        return self._events.take()

    def tick(self) -> list[MixerEvent]:
        """Advance ramps, pre-rolls, schedules, stall and device checks; push gains out."""
        if not self._open:
            return []
        now = self._clock.monotonic()
        self._check_device(now)
        for deck in list(self._live()):
            self._track_progress(deck, now)
        self._maybe_need_track(now)
        self._schedule(now)
        self._finish_fades(now)
        self._apply(now)
        return self._events.take()

    # --- decks -------------------------------------------------------------------------
    def _main(self) -> _Deck | None:
        return self._deck_with_role("main")

    def _deck_with_role(self, role: str) -> _Deck | None:
        return next((d for d in self._decks.values() if d is not None and d.role == role), None)

    def _live(self) -> list[_Deck]:
        return [d for d in self._decks.values() if d is not None]

    @staticmethod
    def _other(name: DeckName) -> DeckName:
        return "B" if name == "A" else "A"

    def _free_deck(self) -> DeckName:
        return next((n for n in DECKS if self._decks[n] is None), "A")

    def _floor_rel(self) -> float:
        """The fader's floor: where the deck's total level is volume.floor_db."""
        return self._vol.floor_db - self._master.value(self._clock.monotonic())

    def _analyze(self, path: Path) -> None:
        if self._loudness is None or self._worker is None or path in self._analysis:
            return
        self._analysis[path] = self._worker.submit(self._loudness.gain_db, path)

    def _norm_db(self, path: Path) -> float:
        if self._loudness is None:
            return 0.0
        self._analyze(path)
        future = self._analysis.get(path)
        if future is not None and future.done() and future.exception() is None:
            return future.result()
        if future is not None and future.done():
            log.warning("loudness of %s unknown (%s); playing it %g dB down", path.name, future.exception(),
                        -UNKNOWN_LOUDNESS_GAIN_DB)
        else:
            log.warning("loudness of %s not measured yet; playing it %g dB down", path.name, -UNKNOWN_LOUDNESS_GAIN_DB)
        return UNKNOWN_LOUDNESS_GAIN_DB

    def _load(self, name: DeckName, track: Track, start_s: float, now: float, role: str) -> _Deck | None:
        """Load and start a deck muted (pre-roll); None if the output refused."""
        try:
            token = self._out.load(name, track.path, start_s)
            self._out.set_gain_db(name, None)
            self._out.play(name)
        except Exception as exc:  # noqa: BLE001 - an output failure must never take the engine down
            log.warning("deck %s: cannot start %s: %s", name, track.path, exc)
            self._events.emit("track_failed", track.path, reason=str(exc))
            self._after_failure(role, now)
            return None
        deck = _Deck(name, track, token, self._norm_db(track.path), now, role=role)  # type: ignore[arg-type]
        self._decks[name] = deck
        return deck

    def _start_main(self, track: Track, start_s: float, now: float, crossfade_s: float | None = None,
                    urgent: bool = False) -> None:
        """Start `track` as the main deck from silence, with the pending entry fade.

        `urgent` (the patient hears silence now, after a failure) shortens the pre-roll to
        `RESUME_SETTLE_S`: a possibly unclean start is better than seconds of silence.
        """
        deck = self._load(self._free_deck(), track, start_s, now, role="main")
        if deck is None:
            return
        if urgent:
            deck.settle_s = RESUME_SETTLE_S
        self._needs_sent = False
        fade_s = self._entry_fade_s
        if fade_s is not None:
            deck.entry = lambda t: self._entry_fade(deck, t, fade_s)
        else:
            length = crossfade_s if crossfade_s is not None else self._crossfade_hint
            deck.entry = lambda t: self._set_fader(deck, CrossfadeRamp(True, t, length, self._floor_rel()))

    def _entry_fade(self, deck: _Deck, now: float, fade_s: float) -> None:
        self._entry_fade_s = None
        self._set_fader(deck, Ramp(None, 0.0, now, fade_s, self._floor_rel()))

    def _set_fader(self, deck: _Deck, fader: Ramp | CrossfadeRamp | float | None) -> None:
        deck.fader = fader
        if deck.role in ("main", "next") and not deck.ended_emitted:
            self._events.emit("track_started", deck.track.path)

    def _stop_deck(self, deck: _Deck, emit_ended: bool) -> None:
        self._decks[deck.name] = None
        try:
            self._out.set_gain_db(deck.name, None)
            self._out.stop(deck.name)
        except Exception as exc:  # noqa: BLE001
            log.warning("deck %s: stop failed: %s", deck.name, exc)
        if emit_ended and deck.fader is not None and not deck.ended_emitted:
            deck.ended_emitted = True
            self._events.emit("track_ended", deck.track.path)

    def _stop_all(self, now: float, emit_ended: bool) -> None:
        for deck in self._live():
            self._stop_deck(deck, emit_ended and deck.role != "next")

    def _drop_next(self, now: float) -> None:
        nxt = self._deck_with_role("next")
        if nxt is not None and nxt.fader is None:
            self._stop_deck(nxt, emit_ended=False)

    # --- progress, pre-roll, stalls ------------------------------------------------------
    def _track_progress(self, deck: _Deck, now: float) -> None:
        if self._mode == "paused" or now - deck.polled_at < POSITION_POLL_S:
            return
        deck.polled_at = now
        raw = self._out.position_s(deck.name)
        if raw is not None and raw != deck.last_raw:
            if deck.last_raw is not None and raw > deck.last_raw:
                deck.advanced = True
            deck.anchor = (now, raw) if deck.advanced else None
            deck.last_raw = raw
        moved_at = deck.anchor[0] if deck.anchor else deck.started_at
        if deck.ready_at is None:
            if deck.advanced and deck.seen_playing and now - deck.started_at >= deck.settle_s:
                deck.ready_at = now
                entry, deck.entry = deck.entry, None
                if entry is not None:
                    entry(now)
            elif now - deck.started_at > min(self._audio.stall_timeout_s, START_TIMEOUT_CAP_S) + deck.settle_s:
                self._failed(deck, now, "did not start playing")
        elif now - moved_at > self._audio.stall_timeout_s and deck.role != "out":
            self._failed(deck, now, f"stalled: no progress for {self._audio.stall_timeout_s:g} s")

    def _remaining(self, deck: _Deck, now: float) -> float | None:
        duration = deck.track.duration_s or self._out.duration_s(deck.name)
        position = deck.position(now)
        if duration is None or position is None:
            return None
        return duration - position

    def _maybe_need_track(self, now: float) -> None:
        main = self._main()
        if self._mode != "playing" or main is None or main.ready_at is None or self._needs_sent:
            return
        if self._plan is not None or self._deck_with_role("next") is not None:
            return
        remaining = self._remaining(main, now)
        lead = self._crossfade_hint + PREROLL_LEAD_S + NEEDS_TRACK_MARGIN_S
        if remaining is None or remaining <= lead:
            self._needs_sent = True
            self._events.emit("needs_track", main.track.path)

    def _schedule(self, now: float) -> None:
        """Start the pre-roll and the fade for what follows the main deck."""
        if self._mode != "playing" or not self._device.ok:
            return
        main = self._main()
        plan = self._plan
        if main is None:
            if plan is not None and plan.track is not None and None in self._decks.values():
                self._plan = None   # nothing audible follows: start at once, with a short settle
                self._start_main(plan.track, 0.0, now, crossfade_s=plan.crossfade_s, urgent=True)
            return
        if plan is None or main.ready_at is None or self._deck_with_role("out") or self._deck_with_role("next"):
            return
        remaining = self._remaining(main, now)
        if remaining is None:
            return
        if plan.track is None:
            length = crossfade_length_s(plan.crossfade_s, main.track.duration_s, None)
            if remaining <= length:
                self._plan = None
                main.role = "out"
                main.fader = Ramp(main.fader_db(now), None, now, max(0.0, remaining), self._floor_rel())
            return
        length = crossfade_length_s(plan.crossfade_s, main.track.duration_s, plan.track.duration_s)
        if remaining <= length + PREROLL_LEAD_S:
            end_at = now + remaining
            deck = self._load(self._other(main.name), plan.track, 0.0, now, role="next")
            self._plan = None
            if deck is not None:
                deck.entry = lambda t: self._begin_crossfade(t, length, end_at=end_at)

    def _begin_crossfade(self, now: float, length: float, end_at: float | None) -> None:
        """The next deck is ready: crossfade so the outgoing track ends at `end_at` (or now+length)."""
        nxt, main = self._deck_with_role("next"), self._main()
        if nxt is None:
            return
        if end_at is None:
            remaining = self._remaining(main, now) if main is not None else None
            length = crossfade_length_s(length, None, nxt.track.duration_s)
            if remaining is not None:
                length = min(length, max(0.0, remaining))
            start = now
        else:
            start = max(now, end_at - length)
        if main is not None and main.fader is None:
            self._stop_deck(main, emit_ended=False)          # never heard (still pre-rolling): just drop it
        elif main is not None:
            main.role, main.entry = "out", None
            main.fader = CrossfadeRamp(False, start, max(0.0, (end_at or start + length) - start), self._floor_rel())
        nxt.role = "main"
        self._needs_sent = False
        self._set_fader(nxt, CrossfadeRamp(True, start, length if end_at is None or now <= end_at - length
                                           else max(length, end_at - now), self._floor_rel()))

    def _finish_fades(self, now: float) -> None:
        out = self._deck_with_role("out")
        if out is not None and isinstance(out.fader, (Ramp, CrossfadeRamp)) and out.fader.done(now):
            self._stop_deck(out, emit_ended=True)
            out = None
        if out is None and self._pending is not None and self._mode == "playing":
            p, self._pending = self._pending, None
            self.crossfade_to(p.track, crossfade_s=p.crossfade_s, start_s=p.start_s)
        if self._mode in ("pausing", "stopping"):
            faders = [d.fader for d in self._live() if d.fader is not None]
            if all(isinstance(f, Ramp) and f.done(now) for f in faders):
                self._fades_done(now)
        if self._mode == "playing" and self._hold_start_level:
            main = self._main()
            if main is not None and isinstance(main.fader, Ramp) and main.fader.done(now):
                self._hold_start_level = False
                self._retarget_master(now, LEVEL_RAMP_S)

    def _fade_out_all(self, kind: str, fade_s: float, mode: Mode) -> None:
        now = self._clock.monotonic()
        if self._mode == "paused" and kind != "pause" or self._mode == "silent":
            self._stop_all(now, emit_ended=True)
            self._mode, self._plan, self._pending = "silent", None, None
            self._device.resume = None
            self._events.emit("fade_finished", kind=kind)
            return
        if self._mode == "paused":
            self._events.emit("fade_finished", kind=kind)
            return
        self._mode, self._fade_kind = mode, kind
        self._entry_fade_s = None
        self._drop_next(now)
        for deck in self._live():
            deck.entry = None
            deck.fader = Ramp(deck.fader_db(now), None, now, max(0.0, fade_s), self._floor_rel())

    def _fades_done(self, now: float) -> None:
        kind = self._fade_kind
        if self._mode == "pausing":
            for deck in self._live():
                if deck.role == "main":
                    self._out.pause(deck.name)
                    deck.fader = None
                else:
                    self._stop_deck(deck, emit_ended=True)
            self._mode = "paused"
        else:
            self._stop_all(now, emit_ended=True)
            self._mode, self._plan, self._pending = "silent", None, None
            self._device.resume = None
        self._events.emit("fade_finished", kind=kind)

    # --- failures ----------------------------------------------------------------------
    def _failed(self, deck: _Deck, now: float, reason: str) -> None:
        log.warning("deck %s: %s: %s", deck.name, deck.track.path, reason)
        role = deck.role
        other = self._decks[self._other(deck.name)]
        if deck.fader is not None and other is None and role == "main":
            # Audible when it failed (a stall, or a false alarm): fade it out quickly, never cut.
            deck.role, deck.entry, deck.ended_emitted = "out", None, True
            deck.fader = Ramp(deck.fader_db(now), None, now, FAILED_FADE_S, self._floor_rel())
        else:
            self._stop_deck(deck, emit_ended=False)
        self._events.emit("track_failed", deck.track.path, reason=reason)
        if role == "out":
            return
        self._after_failure(role, now)

    def _after_failure(self, role: str, now: float) -> None:
        """Keep silence short: use what is queued, or ask for a track at once."""
        if self._mode != "playing":
            return
        main = self._main()
        if role == "main" and main is None and self._plan is not None and self._plan.track is not None:
            return  # _schedule starts the queued track on this tick
        self._needs_sent = True
        self._plan = None
        self._events.emit("needs_track", main.track.path if main else None)

    def _ended(self, deck: _Deck, now: float) -> None:
        if not deck.advanced and deck.ready_at is None:
            self._failed(deck, now, "ended before playing (cannot decode?)")
            return
        role = deck.role
        self._stop_deck(deck, emit_ended=True)
        if role == "main" and self._mode == "playing":
            nxt = self._deck_with_role("next")
            if nxt is not None:
                nxt.role = "main"
                if nxt.entry is not None:
                    length = self._crossfade_hint
                    nxt.entry = lambda t: self._set_fader(nxt, CrossfadeRamp(True, t, length, self._floor_rel()))
            elif self._plan is None and not self._needs_sent:
                self._needs_sent = True
                self._events.emit("needs_track", deck.track.path)
        elif role == "main" and self._mode in ("pausing", "stopping") and not self._live():
            self._fades_done(now)

    # --- device ------------------------------------------------------------------------
    def _device_lost(self, now: float, reason: str) -> None:
        if not self._device.ok:
            return
        self._device.ok = False
        self._device.backoff_s = DEVICE_RETRY_FIRST_S
        self._device.next_check = now + self._device.backoff_s
        main = self._main()
        if main is not None and self._mode != "silent":
            where = main.last_raw if self._mode == "paused" else main.position(now)
            self._device.resume = (main.track, where or 0.0)
        for deck in self._live():
            self._stop_deck(deck, emit_ended=False)
        log.warning("audio device lost: %s", reason)
        self._events.emit("device_lost", reason=reason)

    def _check_device(self, now: float) -> None:
        if now < self._device.next_check:
            return
        ok = self._out.device_ok()
        if self._device.ok:
            self._device.next_check = now + DEVICE_POLL_S
            if not ok:
                self._device_lost(now, "audio device disappeared")
            return
        if not ok:
            self._device.backoff_s = min(self._device.backoff_s * 2, self._audio.device_retry_max_s)
            self._device.next_check = now + self._device.backoff_s
            return
        self._device.ok, self._device.next_check = True, now + DEVICE_POLL_S
        log.info("audio device back")
        self._events.emit("device_restored")
        if self._device.resume is not None and self._mode == "playing":
            (track, position), self._device.resume = self._device.resume, None
            self._mode = "silent"
            self.play(track, fade_in_s=self._vol.fade_in_s, start_s=position)

    # --- levels ------------------------------------------------------------------------
    def _retarget_master(self, now: float, duration_s: float) -> None:
        target = min(self._master_target, self._vol.start_db) if self._hold_start_level else self._master_target
        current = self._master.value(now)
        if current is None or not math.isfinite(current):
            current = target
        if duration_s <= 0 or abs(current - target) < 1e-9:
            current, duration_s = target, 0.0
        self._master = Ramp(current, target, now, duration_s, -math.inf)

    def _deck_gain(self, deck: _Deck, now: float) -> float | None:
        master = self._master.value(now)
        if master is None:
            return None
        return effective_db(deck.norm_db, deck.track.gain_db, deck.fader_db(now), master, self._cap)

    def _apply(self, now: float) -> None:
        for deck in self._live():
            gain = self._deck_gain(deck, now)
            percent = db_to_vlc_percent(gain, self._cap)
            if percent != deck.percent:
                self._out.set_gain_db(deck.name, gain)
                deck.percent = percent
