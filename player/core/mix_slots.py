"""The three output slots and what the mix does to each deck on them, in one place.

`DeckSlots` loads a source on a free slot (muted, playing: the pre-roll), stops decks,
reads positions, settles each deck's normalization from the loudness figures, and pushes
the digital gains out, all as output commands (player/core/mix_commands.py) the shell
performs. It knows nothing of roles or crossfades: that is the mix's policy. Pure: what
it reads comes through the step's `Readings`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from player.core.deck import Cue, Deck, DeckState
from player.core.gain import Glide, db_to_vlc_percent
from player.core.level_model import LevelLimits, SessionReference, deck_gain_db, heard_level_db
from player.core.media import DECKS, DeckName, GainResult, Source
from player.core.mix_commands import LoadDeck, Measure, OutputCommand, Readings, ReleaseDeck, SetGain

log = logging.getLogger(__name__)

NORM_GLIDE_DB_PER_S = 0.5   # a measurement arriving for a heard deck moves its level this slowly


class LoadFailed(Exception):
    """No deck is free for a source."""


class DeckSlots:
    """The decks on an output's slots, with their gains.

    Args:
        commands: where output commands go (the mix's list, taken after each step).
        limits: the level model's settings (player/core/level_model.py): no deck is ever
            heard above its cap, nor set above its digital ceiling.
        latency_s: what the output has taken but not yet played (`audio.latency_s`).
    """

    def __init__(self, commands: list[OutputCommand], limits: LevelLimits, latency_s: float = 0.0) -> None:
        self._commands = commands
        self.readings: Readings | None = None      # the step's readings (set by the machine)
        self.latency_s = latency_s
        self.limits = limits
        self.cautious_db = limits.need_db(None)
        self._decks: dict[DeckName, Deck | None] = dict.fromkeys(DECKS)
        self._loads = 0
        self._session: list[Path] = []
        self._revision = -1
        self.reference = SessionReference(limits, NORM_GLIDE_DB_PER_S)

    def __repr__(self) -> str:
        return f"<DeckSlots {[d for d in self._decks.values() if d]}>"

    def _read(self) -> Readings:
        assert self.readings is not None, "read outside a step"
        return self.readings

    def live(self) -> list[Deck]:
        return [d for d in self._decks.values() if d is not None]

    def by_slot(self, slot: DeckName | None) -> Deck | None:
        return self._decks.get(slot) if slot is not None else None

    def free_slot(self) -> DeckName | None:
        return next((n for n in DECKS if self._decks[n] is None), None)

    def load(self, source: Source, now: float, cue: Cue, settle_s: float) -> Deck:
        """Load `source` muted on a free slot and start it (the pre-roll).

        Raises:
            LoadFailed: no free slot. (An output that refuses answers with `LoadRefused`.)
        """
        slot = self.free_slot()
        if slot is None:
            raise LoadFailed("no free deck")
        self._loads += 1
        self._commands += [Measure(source.path, 0), LoadDeck(slot, source, self._loads)]
        deck = Deck(slot, source, self._loads, now, settle_s, cue, Glide.at(self.cautious_db, NORM_GLIDE_DB_PER_S))
        self._decks[slot] = deck
        return deck

    def stop(self, deck: Deck) -> None:
        """Stop the deck now (callers faded it first) and free its slot."""
        if deck.can("stop"):
            deck.fire("stop")
        self.release(deck.slot)

    def release(self, slot: DeckName) -> None:
        """Free `slot` (muted and stopped by the output)."""
        self._decks[slot] = None
        self._commands.append(ReleaseDeck(slot))

    def probe_device(self) -> bool:
        return self._read().device_ok()

    def read_position(self, deck: Deck) -> float | None:
        return self._read().position_s(deck.slot)

    def remaining(self, deck: Deck, now: float) -> float | None:
        """Time left to hear the deck: to its end, less the output's latency (`audio.latency_s`).

        Measured on the virtual sound card: what libVLC has handed the output but is not yet
        heard (~1.3 s through PulseAudio) is dropped at the end of a stream, so a fade that
        ended at the reported end would be cut there.
        """
        left = deck.remaining(now, self._read().duration_s(deck.slot))
        return None if left is None else left - self.latency_s

    def duration(self, deck: Deck) -> float | None:
        """Length that can be heard (the latency taken off its end)."""
        length = deck.source.duration_s or self._read().duration_s(deck.slot)
        return None if length is None else max(0.0, length - self.latency_s)

    # --- normalization -----------------------------------------------------------------
    def settle_norm(self, deck: Deck, now: float, *, must_go: bool) -> bool:
        """Give a pre-rolled deck its normalization before it is heard.

        Returns True when the deck may be heard: its gain is final, or provisional over
        enough audio, or cannot be measured (then the cautious gain), or `must_go` (it must
        be heard now: the best figure so far, else the cautious one).
        """
        result = self._read().loudness(deck.source.path)
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
            result = self._read().loudness(deck.source.path)
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
        revision = self._read().levels_revision()
        if revision == self._revision:
            return
        self._revision = revision
        known = self._read().final_levels(self._session + [d.source.path for d in self.live()])
        if self.reference.follow(now, known):
            log.info("session reference %+.1f dB: its quietest track cannot be heard louder", self.reference.target_db)

    # --- gains -------------------------------------------------------------------------
    def gain(self, deck: Deck, now: float, gate_db: float | None, master_db: float) -> float | None:
        """Digital gain of `deck` now (None = muted): the level model's, for its heard level.

        Heard = master + trim + reference + fader (+ mix fader), at most the cap; the gain adds
        the normalization need within the track's headroom (player/core/level_model.py).
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
                self._commands.append(SetGain(deck.slot, gain))
                deck.percent = percent

    def percent_at(self, deck: Deck, t: float, gate_db: float | None, master_db: float) -> int:
        return db_to_vlc_percent(self.gain(deck, t, gate_db, master_db), self.limits.max_boost_db)
