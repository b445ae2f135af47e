"""Loudness normalization: how many dB each file needs to sound as loud as the target.

Order of trust: ReplayGain 2 / R128 tags written by the clinic's tools (read with mutagen),
then our own measurement, cached by file content so each file is measured once.

Measurement (`player.audio.ebur128`) uses ffmpeg's ebur128 filter (ITU-R BS.1770-4 integrated
loudness, 4x oversampled true peak) rather than pyloudnorm + soundfile: ffmpeg decodes every
format a clinic brings (MP3, AAC/M4A, Opus, FLAC...) while libsndfile does not read AAC; it streams in constant memory
where pyloudnorm needs the whole track as float64 in RAM (a 60-minute track is 1.4 GB, more
than a Pi 3 has); it gives true peak, which pyloudnorm does not; and ffmpeg is already a
runtime dependency. Measured speed and agreement: bench/analyze_speed.py, docs/audio.md.

Only what the level model needs is measured, as cheaply as it can be: one pass gives the
integrated loudness, the short-term loudness maximum and the sample peak (about half the time
of a true-peak pass); the 4x oversampled true peak is measured in a second pass only for a
file whose gain it could change under the level model (`true_peak_matters`: a quiet master may
be boosted above VLC 100 %, so the peak matters wherever that boost would bring it near the
ceiling); a file seen early to be peak-bound switches to a single true-peak pass. Where the
sample peak was kept, the level model is given the sample peak + `TRUE_PEAK_OVER_SAMPLE_DB`
(`Loudness.level`): an upper bound of the true peak, so a record stays safe whatever the
config becomes, and `analyze` measures the true peak after all once the config makes it matter.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import mutagen

from player.audio.ebur128 import GaveUp, Spawn, scan, true_peak_db
from player.audio.ebur128 import Progress as PassProgress
from player.background import Pacer
from player.config import LoudnessConfig, VolumeConfig
from player.core.gain import VLC_MAX_DB
from player.core.level_model import LevelLimits, TrackLevel
from player.fsutil import atomic_write_text

log = logging.getLogger(__name__)

RG2_REFERENCE_LUFS = -18.0   # ReplayGain 2.0 gains are relative to -18 LUFS
R128_REFERENCE_LUFS = -23.0  # Opus R128_TRACK_GAIN (Q7.8 dB) is relative to -23 LUFS
MIN_GAIN_DB, MAX_GAIN_DB = -30.0, 20.0  # a near-silent file is not boosted without bound
CACHE_VERSION = 1


@dataclass(frozen=True)
class Loudness:
    """What is known of a file: integrated loudness, peak, short-term maximum, where it came from, the gain.

    `peak_kind` says what `peak_db` is: ``true`` (dBTP, measured), ``sample`` (dBFS: measured
    where even `TRUE_PEAK_OVER_SAMPLE_DB` more could not change the gain), ``tag`` (from the
    file's tags). `short_term_max_lufs` is the loudest 3 s (None: tags, or measured before it was kept).
    `gain_db` is the plain normalization gain (target, true-peak ceiling) of `level`'s figures.
    """

    loudness_lufs: float
    peak_db: float
    source: str   # "replaygain", "r128", "measured"
    gain_db: float
    peak_kind: str = "true"
    short_term_max_lufs: float | None = None

    @property
    def level(self) -> TrackLevel:
        """The figures the level model reads (a sample peak raised to a bound of the true peak)."""
        return TrackLevel(self.loudness_lufs, model_peak_db(self.peak_db, self.peak_kind), self.short_term_max_lufs)


def normalization_gain_db(loudness_lufs: float, peak_db: float, config: LoudnessConfig) -> float:
    """Gain to reach the target, lowered so the true peak stays at or under the ceiling."""
    gain = min(config.target_lufs - loudness_lufs, config.max_true_peak_db - peak_db)
    return max(MIN_GAIN_DB, min(MAX_GAIN_DB, gain))


def _number(text: str) -> float:
    return float(re.match(r"\s*([-+]?\d+(?:\.\d+)?)", text).group(1))  # type: ignore[union-attr]


def read_tags(path: Path) -> tuple[float, float, str] | None:
    """(loudness LUFS, peak dBFS, source) from ReplayGain 2 or R128 tags, None without them."""
    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError) as exc:
        log.debug("no tags from %s: %s", path, exc)
        return None
    if audio is None or not audio.tags:
        return None
    tags: dict[str, str] = {}
    for key, value in audio.tags.items():
        text = value[0] if isinstance(value, list) else getattr(value, "text", [value])[0]
        tags[str(key).lower().rsplit(":", 1)[-1]] = str(text)
    try:
        if "replaygain_track_gain" in tags:
            loudness = RG2_REFERENCE_LUFS - _number(tags["replaygain_track_gain"])
            peak = float(tags.get("replaygain_track_peak", "1") or 1)
            return loudness, 20 * math.log10(peak) if peak > 0 else 0.0, "replaygain"
        if "r128_track_gain" in tags:
            loudness = R128_REFERENCE_LUFS - int(tags["r128_track_gain"]) / 256
            return loudness, 0.0, "r128"  # R128 tags carry no peak: assume full scale
    except (ValueError, AttributeError) as exc:
        log.warning("%s: unreadable loudness tags (%s); measuring instead", path.name, exc)
    return None


#: How far the true (inter-sample) peak of real music may lie above its sample peak. A full-scale
#: sine at a quarter of the sample rate sampled 45 degrees off its crests reads 3.0 dB low; music
#: rarely comes near. Where even this much more peak would not change the gain, the (2x dearer)
#: true-peak measurement is skipped and the record says ``peak_kind: sample``.
TRUE_PEAK_OVER_SAMPLE_DB = 3.0
#: Audio seen before the cheap pass may decide that the peak bounds the gain and switch to one true-peak pass.
EARLY_DECISION_S = 20.0
Progress = Callable[[float, TrackLevel], None]  # (analysed_s, the figures so far)


def model_peak_db(peak_db: float, peak_kind: str) -> float:
    """The peak the level model is given: a sample peak is raised by `TRUE_PEAK_OVER_SAMPLE_DB` (errs high: safe)."""
    return peak_db + TRUE_PEAK_OVER_SAMPLE_DB if peak_kind == "sample" else peak_db


def true_peak_matters(loudness_lufs: float, sample_peak_db: float, limits: LevelLimits) -> bool:
    """Could the true peak change what the level model does with this track?

    The most gain the model ever gives a track is its need plus the cap (heard at the cap),
    at most the max boost and VLC's range (`player.core.level_model.deck_gain_db`); the peak
    bounds it, and lowers the session reference (`reach_db`), only where its headroom is less.
    Not when even `TRUE_PEAK_OVER_SAMPLE_DB` above the sample peak leaves more headroom than that.
    """
    wanted = min(limits.max_boost_db, VLC_MAX_DB, limits.target_lufs - loudness_lufs + limits.cap_db)
    return limits.max_true_peak_db - (sample_peak_db + TRUE_PEAK_OVER_SAMPLE_DB) < wanted


@dataclass(frozen=True)
class _Pass:
    """How one measurement runs ffmpeg: which, held to what share, started how, stopped by what."""

    ffmpeg: str
    share: float | None
    spawn: Spawn | None
    cancel: threading.Event | None
    pause_while: Callable[[], bool] | None

    def options(self) -> dict:
        """The keyword arguments `scan` and `true_peak_db` take for this."""
        return {"share": self.share, "spawn": self.spawn, "cancel": self.cancel, "pause_while": self.pause_while}


def _standing(progress: Progress | None, analysed_s: float, level: TrackLevel) -> PassProgress | None:
    """Progress for a pass that only adds the true peak: the figures found stand (their peak the safe bound).

    Reporting them once a second lets the caller stop the pass (the Analyzer raises from it when
    a deck needs another track, or on close); without it that ffmpeg ran on to the track's end.
    `analysed_s`: the audio behind `level` (0: as much as this pass has read so far).
    """
    if progress is None:
        return None
    return lambda t, lufs, peak, short: progress(max(t, analysed_s), level)


def file_digest(path: Path, pacer: Pacer | None = None) -> str:
    """The cache key: a hash of the content (a copied or renamed file keeps its measurement)."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while True:
            used = time.thread_time()
            chunk = f.read(1 << 18)
            if not chunk:
                break
            h.update(chunk)
            if pacer is not None:
                pacer.pace(time.thread_time() - used)
    return h.hexdigest()


class LoudnessLookup:
    """Normalization gains by file; thread-safe (the Mixer asks from a worker thread).

    Args:
        config: the ``loudness`` config section.
        cache_path: JSON cache of measurements by file digest (the daemon passes
            <data_dir>/loudness-cache.json); None keeps it in memory only.
        pacer: background pacing (the daemon's analysis beside the music): ffmpeg (a duty cycle)
            and the hashing are held to a share of the CPU budget. None: as fast as it goes.
        spawn: starts ffmpeg (the daemon's lowers it to background priority first).
        pause_while: a held (paced) measurement not a deck waits for stays stopped while this
            says True (the daemon's: a deck is loading, pre-rolling or fading).
        limits: the level model's limits (`LevelLimits.of(config)`), which decide where the true
            peak is worth measuring; None: this section's with the shipped cap.
    """

    def __init__(self, config: LoudnessConfig, cache_path: Path | None = None, *, ffmpeg: str = "ffmpeg",
                 pacer: Pacer | None = None, spawn: Spawn | None = None, limits: LevelLimits | None = None,
                 pause_while: Callable[[], bool] | None = None) -> None:
        self._config = config
        self._limits = limits or LevelLimits(config.target_lufs, VolumeConfig().max_db, config.max_true_peak_db,
                                             config.max_boost_db)
        self._cache_path = cache_path
        self._ffmpeg = ffmpeg
        self._pacer = pacer
        self._spawn = spawn
        self._pause_while = pause_while
        self._lock = threading.Lock()
        self._cache: dict[str, dict] | None = None

    def __repr__(self) -> str:
        return f"<LoudnessLookup target {self._config.target_lufs:g} LUFS cache {self._cache_path}>"

    def _load_cache(self) -> dict[str, dict]:
        if self._cache is None:
            self._cache = {}
            if self._cache_path is not None and self._cache_path.exists():
                try:
                    data = json.loads(self._cache_path.read_text(encoding="utf-8"))
                    if data.get("version") == CACHE_VERSION:
                        self._cache = dict(data.get("files", {}))
                except (OSError, ValueError, AttributeError) as exc:
                    log.warning("loudness cache %s unreadable (%s): starting afresh", self._cache_path, exc)
        return self._cache

    def analyze(self, path: Path, progress: Progress | None = None, *, urgent: bool = False,
                cancel: threading.Event | None = None) -> Loudness:
        """Loudness, peak and gain of `path` (tags, cache, or a measurement: slow the first time).

        `progress(analysed_s, figures_so_far)` is called during a measurement (not for tags
        or cached files, which answer at once). `urgent`: a deck waits for it, so it is not
        started at SCHED_IDLE (it keeps its thread's nice, at least 10) and under a quota gets
        the pacer's larger urgent share (the rest is for the deck's pre-roll and the deck
        playing). `cancel`, once set, stops a measurement (ffmpeg killed, `Cancelled` raised,
        nothing cached).
        """
        pacer = self._pacer
        spawn = None if urgent else self._spawn
        path = Path(path)
        tagged = read_tags(path)
        if tagged is not None:
            return self._result(*tagged, "tag")
        digest = file_digest(path, None if urgent else pacer)
        with self._lock:
            known = self._load_cache().get(digest)
        if known is None or self._wants_true_peak(known):
            run = _Pass(self._ffmpeg, pacer.fraction(urgent) if pacer is not None else None, spawn, cancel,
                        None if urgent else self._pause_while)
            known = self._measure(path, progress, run) if known is None \
                else self._with_true_peak(path, known, progress, run)
            with self._lock:
                self._load_cache()[digest] = known
                self._save()
        return self._from_record(known)

    def known(self, path: Path) -> Loudness | None:
        """What the file's tags or the cache already say (None: it must be measured). Never runs ffmpeg."""
        tagged = read_tags(path)
        if tagged is not None:
            return self._result(*tagged, "tag")
        with self._lock:
            cached = self._load_cache().get(file_digest(path))
        return None if cached is None else self._from_record(cached)

    def _from_record(self, record: dict) -> Loudness:
        # older caches lack the short-term maximum (the peak still bounds the boost) and the peak kind (true)
        return self._result(record["loudness_lufs"], record["peak_db"], "measured", record.get("peak_kind", "true"),
                            record.get("short_term_max_lufs"))

    def _result(self, loudness: float, peak: float, source: str, peak_kind: str,
                short_term_max_lufs: float | None = None) -> Loudness:
        gain = normalization_gain_db(loudness, model_peak_db(peak, peak_kind), self._config)
        return Loudness(loudness, peak, source, gain, peak_kind, short_term_max_lufs)

    def _wants_true_peak(self, record: dict) -> bool:
        """A sample-peak record whose true peak matters now (the config changed since it was measured)."""
        return record.get("peak_kind") == "sample" and true_peak_matters(record["loudness_lufs"], record["peak_db"],
                                                                         self._limits)

    def _with_true_peak(self, path: Path, record: dict, progress: Progress | None, run: _Pass) -> dict:
        standing = _standing(progress, 0.0, self._from_record(record).level)
        peak = true_peak_db(path, run.ffmpeg, progress=standing, **run.options())
        return {**record, "peak_db": peak, "peak_kind": "true"}

    def _measure(self, path: Path, progress: Progress | None, run: _Pass) -> dict:
        """The cache record: one cheap pass (sample peak), the true peak only where it could matter.

        Where the running figures already say the peak bounds the gain (`EARLY_DECISION_S` in),
        the cheap pass stops and one true-peak pass gives everything; where that shows only at
        the end, a second (true-peak) pass follows.
        """
        limits = self._limits

        def running(t: float, lufs: float, sample_peak: float, short: float | None) -> None:
            if progress is not None:   # provisional: as if the true peak were as high as it could be
                progress(t, TrackLevel(lufs, model_peak_db(sample_peak, "sample"), short))

        def peak_bound(t: float, lufs: float, sample_peak: float) -> bool:
            return t >= EARLY_DECISION_S and true_peak_matters(lufs, sample_peak, limits)

        def running_true(t: float, lufs: float, true_peak: float, short: float | None) -> None:
            if progress is not None:
                progress(t, TrackLevel(lufs, true_peak, short))

        how = run.options()
        try:
            found = scan(path, run.ffmpeg, running if progress is not None else None, give_up=peak_bound, **how)
        except GaveUp:
            found = scan(path, run.ffmpeg, running_true if progress is not None else None, true_peak=True, **how)
            return {"loudness_lufs": found.loudness_lufs, "peak_db": found.peak_db, "peak_kind": "true",
                    "short_term_max_lufs": found.short_term_max_lufs, "name": path.name}
        record = {"loudness_lufs": found.loudness_lufs, "peak_db": found.peak_db, "peak_kind": "sample",
                  "sample_peak_db": found.peak_db, "short_term_max_lufs": found.short_term_max_lufs,
                  "name": path.name}
        if self._wants_true_peak(record):
            standing = _standing(progress, found.audio_s, TrackLevel(found.loudness_lufs,
                                                                     model_peak_db(found.peak_db, "sample"),
                                                                     found.short_term_max_lufs))
            record["peak_db"] = true_peak_db(path, run.ffmpeg, progress=standing, **how)
            record["peak_kind"] = "true"
        return record

    def gain_db(self, path: Path) -> float:
        return self.analyze(path).gain_db

    def measure_level(self, path: Path, progress: Progress | None = None, *, urgent: bool = False,
                      cancel: threading.Event | None = None) -> TrackLevel:
        """The `player.audio.analysis.LevelMeasurer` protocol: the figures, reporting progress."""
        return self.analyze(path, progress, urgent=urgent, cancel=cancel).level

    def _save(self) -> None:
        """Write the cache; a full or read-only disk keeps it in memory (the measurement still counts)."""
        if self._cache_path is not None:
            text = json.dumps({"version": CACHE_VERSION, "files": self._cache}, indent=0, sort_keys=True)
            try:
                atomic_write_text(self._cache_path, text)
            except OSError as exc:
                log.warning("loudness cache %s not saved (%s): kept in memory", self._cache_path,
                            exc.strerror or exc)


def as_dict(result: Loudness) -> dict:
    return asdict(result)
