"""The level model: every level is loudness at the ear, relative to the normalization target.

Staff's levels (``volume.start_db``, ``default_db``, volume up/down, the cap ``max_db`` and the
calibrated ``max_dba``) all mean one thing: how loud the music is heard, in dB relative to
``loudness.target_lufs``. A track normalized to the target played at -12 dB is heard at about
target - 12 LU whatever it was mastered at. The *heard level* of a deck is::

    heard = master + trim + session reference + faders          (never above the cap)

and its *digital gain* (what VLC's volume does, 0 dB = VLC 100 %) is the heard level plus the
track's normalization need (target - its integrated loudness)::

    gain = need + heard,  bounded by
        the true peak:    peak + gain <= loudness.max_true_peak_db   (>= 1 dB below full scale)
        the max boost:    gain <= loudness.max_boost_db              (VLC amplifies above 100 %)
        loud passages:    a boosted track's short-term maximum stays at or under the cap

The cap bounds the heard level, never the gain: a quiet master is boosted above VLC 100 % as
far as its headroom allows, so it plays as loud as the rest. Where a track cannot reach the
loudest level the cap allows, the whole session's reference is lowered by what it lacks (up
to `MAX_REFERENCE_CUT_DB`) so that every track still matches: `reference_db`, and
`shortfall_notes` says so for `check`, `plan`, `analyze` and the import report. A file that
was not (or cannot be) measured is assumed mastered at `HOT_MASTER_LUFS`: it plays below the
target, never above. Pure: no I/O; tested exhaustively (tests/audio/test_level_model.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from player.audio.gain import VLC_MAX_DB, Glide
from player.config import Config
from player.core.cap import cap_db

HOT_MASTER_LUFS = -8.0          # an unmeasured file is assumed this loud: it plays quieter rather than louder
MAX_REFERENCE_CUT_DB = 6.0      # the session is lowered at most this much for its quietest track
SILENT_LUFS = -70.0             # ebur128's absolute gate: a file this quiet is silence, never a reason to lower


@dataclass(frozen=True)
class TrackLevel:
    """What is known of one file's loudness (measured, cached, or from its tags).

    Attributes:
        loudness_lufs: integrated loudness (EBU R128).
        peak_db: true peak (dBTP; a sample peak, or 0 for tags without one, errs high = safe).
        short_term_max_lufs: the loudest 3 s (None: not known; the peak still bounds the boost).
    """

    loudness_lufs: float
    peak_db: float
    short_term_max_lufs: float | None = None


@dataclass(frozen=True)
class LevelLimits:
    """The settings the model reads: target, the cap in force and the digital headroom."""

    target_lufs: float = -18.0
    cap_db: float = -6.0
    max_true_peak_db: float = -1.0
    max_boost_db: float = VLC_MAX_DB

    @classmethod
    def of(cls, config: Config) -> LevelLimits:
        """The limits a config sets (the cap in force: `volume.max_db`, lowered by a calibration)."""
        loudness = config.loudness
        return cls(loudness.target_lufs, cap_db(config.volume), loudness.max_true_peak_db, loudness.max_boost_db)

    def need_db(self, track: TrackLevel | None) -> float:
        """Normalization need: the gain that brings `track` to the target (unmeasured: a hot master's)."""
        if track is None:
            return min(0.0, self.target_lufs - HOT_MASTER_LUFS)
        return self.target_lufs - track.loudness_lufs

    def ceiling_db(self, track: TrackLevel | None) -> float:
        """The highest digital gain `track` may get: its true-peak headroom, the max boost, VLC's range."""
        ceiling = min(self.max_boost_db, VLC_MAX_DB)
        if track is None:
            return min(ceiling, 0.0)                     # never amplify what nobody measured
        return min(ceiling, self.max_true_peak_db - track.peak_db)

    def lacks_db(self, track: TrackLevel) -> float:
        """How far below the cap's level `track` stays at most (0: it reaches the cap; silence lacks nothing)."""
        if track.loudness_lufs <= SILENT_LUFS:
            return 0.0
        return max(0.0, self.cap_db - self.reach_db(track))

    def reach_db(self, track: TrackLevel) -> float:
        """The loudest level (relative to the target) at which `track` can be heard within its headroom."""
        return self.ceiling_db(track) - self.need_db(track)


def heard_level_db(master_db: float, trim_db: float, reference_db: float, fader_db: float | None,
                   cap_db: float) -> float | None:
    """The level a deck is asked to be heard at (relative to the target), at most the cap; None = muted."""
    if fader_db is None:
        return None
    level = master_db + trim_db + reference_db + fader_db
    return None if math.isnan(level) else min(level, cap_db)


def deck_gain_db(track: TrackLevel | None, heard_db: float | None, limits: LevelLimits,
                 need_db: float | None = None) -> float | None:
    """Digital gain (dB, 0 = VLC 100 %) that makes `track` heard at `heard_db` within its headroom.

    `need_db` overrides the track's own need (a provisional figure gliding to the final one).
    The result is never more than ``need + min(heard, cap)``, so what is heard never exceeds
    the cap, and never more than the track's ceiling, so its true peak stays under
    ``max_true_peak_db`` and its loudest passage under the cap when it is boosted.
    """
    if heard_db is None or math.isnan(heard_db):
        return None
    heard = min(heard_db, limits.cap_db)
    need = limits.need_db(track) if need_db is None else need_db
    gain = min(need + heard, limits.ceiling_db(track))
    if track is not None and track.short_term_max_lufs is not None:
        # a quiet track with one loud passage is never boosted into a passage above the cap (a track
        # that is not boosted, gain <= heard, is left as mastered: the max() never lowers it)
        gain = min(gain, max(heard, limits.target_lufs + limits.cap_db - track.short_term_max_lufs))
    return gain if math.isfinite(gain) else None


def heard_of_gain_db(gain_db: float | None, need_db: float) -> float | None:
    """What a deck at `gain_db` is heard at, relative to the target (None = silent)."""
    return None if gain_db is None else gain_db - need_db


def reference_db(tracks: Iterable[TrackLevel], limits: LevelLimits) -> float:
    """The session's reference: 0, or lowered so the quietest track matches the rest up to the cap.

    A track that cannot reach the cap within its headroom would play quieter than the others
    whenever the level is near the cap; lowering every track by what it lacks keeps the session
    even at every level. Lowered at most `MAX_REFERENCE_CUT_DB`: a track lacking more plays
    that much quieter than the rest (and `shortfall_notes` says so).
    """
    return -min(MAX_REFERENCE_CUT_DB, max((limits.lacks_db(t) for t in tracks), default=0.0))


class SessionReference:
    """The session's reference as it is heard: it follows `reference_db` of the figures known, as a glide.

    The session's tracks are measured ahead while it plays; a figure that lowers (or, on a new
    session, restores) the reference moves every deck together at `rate_db_per_s`, never a step.
    """

    def __init__(self, limits: LevelLimits, rate_db_per_s: float) -> None:
        self._limits = limits
        self._glide = Glide.at(0.0, rate_db_per_s)

    def __repr__(self) -> str:
        return f"<SessionReference toward {self._glide.target_db:+.1f} dB>"

    def value(self, now: float) -> float:
        return self._glide.value(now)

    @property
    def target_db(self) -> float:
        return self._glide.target_db

    def follow(self, now: float, tracks: Iterable[TrackLevel]) -> bool:
        """Aim at the reference `tracks` call for; True when that moved it."""
        target = reference_db(tracks, self._limits)
        if target == self._glide.target_db:
            return False
        self._glide = self._glide.toward(now, target)
        return True


def shortfall_notes(tracks: Mapping[str, TrackLevel], limits: LevelLimits) -> tuple[float, list[str]]:
    """(the session's reference, one sentence per track that lowers it or stays quieter), for staff."""
    ref = reference_db(tracks.values(), limits)
    notes = []
    for name, track in tracks.items():
        lack = limits.lacks_db(track)
        if lack < 0.05:                                   # nothing a listener (or the figure) would show
            continue
        below = limits.need_db(track)
        why = f"{name} is {below:.0f} LU below target"
        if lack <= MAX_REFERENCE_CUT_DB:
            notes.append(f"{why}: the session plays {lack:.1f} dB quieter to keep it even")
        else:
            notes.append(f"{why}: it plays {lack - MAX_REFERENCE_CUT_DB:.1f} dB quieter than the rest "
                         f"(the session is already {MAX_REFERENCE_CUT_DB:.0f} dB quieter for it)")
    return ref, notes
