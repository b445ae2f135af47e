"""The three output slots and what the mixer does to each deck on them, in one place.

`DeckSlots` loads a source on a free slot (muted, playing: the pre-roll), stops decks,
reads positions, settles each deck's normalization from the analyzer, and pushes the
total gains out. It knows nothing of roles or crossfades: that is the mixer's policy.
Engine thread only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from player.audio.analysis import Analyzer, GainResult
from player.audio.api import DECKS, AudioOutput, DeckName, Source
from player.audio.deck import Cue, Deck, DeckState
from player.audio.gain import Glide, db_to_vlc_percent
from player.audio.level_model import LevelLimits, SessionReference, deck_gain_db, heard_level_db

log = logging.getLogger(__name__)

NORM_GLIDE_DB_PER_S = 0.5   # a measurement arriving for a heard deck moves its level this slowly


class LoadFailed(Exception):
    """The output refused a source (no such file, libVLC error)."""


class DeckSlots:
    """The decks on an output's slots, with their gains.

    Args:
        output: the opened output.
        analyzer: where each file's loudness figures come from.
        limits: the level model's settings (player/audio/level_model.py): no deck is ever
            heard above its cap, nor set above its digital ceiling.
    """

    def __init__(self, output: AudioOutput, analyzer: Analyzer, limits: LevelLimits, latency_s: float = 0.0) -> None:
        self._out = output
        self.latency_s = latency_s
        self._analyzer = analyzer
        self.limits = limits
        self.cautious_db = limits.need_db(None)
        self._decks: dict[DeckName, Deck | None] = dict.fromkeys(DECKS)
        self._session: list[Path] = []
        self._revision = -1
        self.reference = SessionReference(limits, NORM_GLIDE_DB_PER_S)

    def __repr__(self) -> str:
        return f"<DeckSlots {[d for d in self._decks.values() if d]}>"

    def live(self) -> list[Deck]:
        return [d for d in self._decks.values() if d is not None]

    def by_slot(self, slot: DeckName | None) -> Deck | None:
        return self._decks.get(slot) if slot is not None else None

    def free_slot(self) -> DeckName | None:
        return next((n for n in DECKS if self._decks[n] is None), None)

    def load(self, source: Source, now: float, cue: Cue, settle_s: float) -> Deck:
        """Load `source` muted on a free slot and start it (the pre-roll).

        Raises:
            LoadFailed: no free slot, or the output refused.
        """
        slot = self.free_slot()
        if slot is None:
            raise LoadFailed("no free deck")
        self._analyzer.want(source.path, 0)
        try:
            token = self._out.load(slot, source.path, source.start_s)
            self._out.set_gain_db(slot, None)
            self._out.play(slot)
        except Exception as exc:  # noqa: BLE001 - an output failure must never take the engine down
            self._release(slot)
            raise LoadFailed(str(exc) or type(exc).__name__) from None
        deck = Deck(slot, source, token, now, settle_s, cue, Glide.at(self.cautious_db, NORM_GLIDE_DB_PER_S))
        self._decks[slot] = deck
        return deck

    def stop(self, deck: Deck) -> None:
        """Stop the deck now (callers faded it first) and free its slot."""
        if deck.can("stop"):
            deck.fire("stop")
        self._release(deck.slot)

    def _release(self, slot: DeckName) -> None:
        self._decks[slot] = None
        try:
            self._out.set_gain_db(slot, None)
            self._out.stop(slot)
        except Exception as exc:  # noqa: BLE001
            log.warning("deck %s: stop failed: %s", slot, exc)

    def read_position(self, deck: Deck) -> float | None:
        return self._out.position_s(deck.slot)

    def remaining(self, deck: Deck, now: float) -> float | None:
        """Time left to hear the deck: to its end, less the output's latency (`audio.latency_s`).

        Measured on the virtual sound card: what libVLC has handed the output but is not yet
        heard (~1.3 s through PulseAudio) is dropped at the end of a stream, so a fade that
        ended at the reported end would be cut there.
        """
        left = deck.remaining(now, self._out.duration_s(deck.slot))
        return None if left is None else left - self.latency_s

    def duration(self, deck: Deck) -> float | None:
        """Length that can be heard (the latency taken off its end)."""
        length = deck.source.duration_s or self._out.duration_s(deck.slot)
        return None if length is None else max(0.0, length - self.latency_s)

    # --- normalization -----------------------------------------------------------------
    def settle_norm(self, deck: Deck, now: float, *, must_go: bool) -> bool:
        """Give a pre-rolled deck its normalization before it is heard.

        Returns True when the deck may be heard: its gain is final, or provisional over
        enough audio, or cannot be measured (then the cautious gain), or `must_go` (it must
        be heard now: the best figure so far, else the cautious one).
        """
        result = self._analyzer.result(deck.source.path)
        if not (result.usable or must_go):
            return False
        need = self._need(result)
        if need is not None and not result.error:
            deck.norm, deck.level = Glide.at(need, NORM_GLIDE_DB_PER_S), result.level
        deck.norm_final = result.final or bool(result.error)
        if result.error or need is None:
            log.warning("%s: loudness %s; playing it at a cautious %+.1f dB", deck.source.name,
                        f"unknown ({result.error})" if result.error else "not measured in time", self.cautious_db)
        return True

    def _need(self, result: GainResult) -> float | None:
        """The normalization need of a result (0 when nothing normalizes; None: nothing known yet)."""
        if result.unnormalized:
            return 0.0
        return None if result.level is None else self.limits.need_db(result.level)

    def update_norms(self, now: float) -> None:
        """Measurements that arrive for decks already heard: glide there, never step."""
        for deck in self.live():
            if deck.norm_final:
                continue
            result = self._analyzer.result(deck.source.path)
            target = self.cautious_db if result.error else self._need(result)
            if target is not None and target != deck.norm.target_db:
                deck.norm = deck.norm.toward(now, target)
            if target is not None:      # the bounds (peak, loudest passage) only grow as more is measured
                deck.level = None if result.error else result.level
            deck.norm_final = result.final or bool(result.error)
        self._update_reference(now)

    def play_session(self, paths: list[Path]) -> None:
        """The tracks of the session (its playlist): the reference keeps them all even."""
        self._session, self._revision = list(paths), -1

    def _update_reference(self, now: float) -> None:
        """Lower (or restore) the session's reference as its tracks' figures arrive: a glide."""
        if self._analyzer.revision == self._revision:
            return
        self._revision = self._analyzer.revision
        known = self._analyzer.final_levels(self._session + [d.source.path for d in self.live()])
        if self.reference.follow(now, known):
            log.info("session reference %+.1f dB: its quietest track cannot be heard louder", self.reference.target_db)

    # --- gains -------------------------------------------------------------------------
    def gain(self, deck: Deck, now: float, gate_db: float | None, master_db: float) -> float | None:
        """Digital gain of `deck` now (None = muted): the level model's, for its heard level.

        Heard = master + trim + reference + fader (+ mix fader), at most the cap; the gain adds
        the normalization need within the track's headroom (player/audio/level_model.py).
        """
        if deck.state not in (DeckState.AUDIBLE, DeckState.FADING_OUT):
            return None
        fader = deck.fader_db(now)
        if deck.gated:
            fader = None if fader is None or gate_db is None else fader + gate_db
        heard = heard_level_db(master_db, deck.source.trim_db, self.reference.value(now), fader, self.limits.cap_db)
        return deck_gain_db(deck.level, heard, self.limits, need_db=deck.norm.value(now))

    def apply(self, now: float, gate_db: float | None, master_db: float) -> None:
        for deck in self.live():
            gain = self.gain(deck, now, gate_db, master_db)
            percent = db_to_vlc_percent(gain, self.limits.max_boost_db)
            if percent != deck.percent:
                self._out.set_gain_db(deck.slot, gain)
                deck.percent = percent

    def percent_at(self, deck: Deck, t: float, gate_db: float | None, master_db: float) -> int:
        return db_to_vlc_percent(self.gain(deck, t, gate_db, master_db), self.limits.max_boost_db)
