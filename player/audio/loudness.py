"""Loudness normalization: how many dB each file needs to sound as loud as the target.

Order of trust: ReplayGain 2 / R128 tags written by the clinic's tools (read with mutagen),
then our own measurement, cached by file content so each file is measured once.

Measurement uses ffmpeg's ebur128 filter (ITU-R BS.1770-4 integrated loudness, 4x oversampled
true peak) rather than pyloudnorm + soundfile: ffmpeg decodes every format a clinic brings
(MP3, AAC/M4A, Opus, FLAC...) while libsndfile does not read AAC; it streams in constant memory
where pyloudnorm needs the whole track as float64 in RAM (a 60-minute track is 1.4 GB, more
than a Pi 3 has); it gives true peak, which pyloudnorm does not; and ffmpeg is already a
runtime dependency. Measured speed and agreement: bench/analyze_speed.py, docs/audio.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import mutagen

from player.config import LoudnessConfig
from player.core.level_model import TrackLevel
from player.errors import AudioFailed
from player.fsutil import atomic_write_text

log = logging.getLogger(__name__)

RG2_REFERENCE_LUFS = -18.0   # ReplayGain 2.0 gains are relative to -18 LUFS
R128_REFERENCE_LUFS = -23.0  # Opus R128_TRACK_GAIN (Q7.8 dB) is relative to -23 LUFS
MIN_GAIN_DB, MAX_GAIN_DB = -30.0, 20.0  # a near-silent file is not boosted without bound
CACHE_VERSION = 1


@dataclass(frozen=True)
class Loudness:
    """What is known of a file: integrated loudness, (true) peak, where it came from, the gain."""

    loudness_lufs: float
    peak_db: float
    source: str   # "replaygain", "r128", "measured"
    gain_db: float
    short_term_max_lufs: float | None = None   # the loudest 3 s (measured files only)

    @property
    def level(self) -> TrackLevel:
        return TrackLevel(self.loudness_lufs, self.peak_db, self.short_term_max_lufs)


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


_SUMMARY = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)\s*LUFS.*?Peak:\s*(-?[\d.]+|-inf)\s*dBFS", re.S)
# t: 2.99998    TARGET:-23 LUFS    M: -36.6 S: -36.7     I: -36.7 LUFS  LRA: ...  TPK: -25.1 -25.6 dBFS
_FRAME = re.compile(r"\bt:\s*([\d.]+).*?\bS:\s*(-?[\d.]+|-inf)\s+I:\s*(-?[\d.]+|-inf)\s*LUFS"
                    r".*?\bTPK:\s*((?:\s*-?[\d.]+|\s*-inf)+)\s*dBFS")
PROGRESS_EVERY_S = 1.0   # report a running figure once per second of audio analysed
MEASURE_TIMEOUT_S = 600.0

Progress = Callable[[float, TrackLevel], None]  # (analysed_s, the figures so far)


def _finite(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


def _short_term(lufs: float) -> float | None:
    """The short-term maximum, None where there is none (silence, or a file shorter than its 3 s window)."""
    return lufs if math.isfinite(lufs) and lufs > -70.0 else None


def measure(path: Path, ffmpeg: str = "ffmpeg", progress: Progress | None = None) -> TrackLevel:
    """Integrated loudness, true peak and short-term maximum, measured by ffmpeg's ebur128 filter.

    ffmpeg's per-frame log is read as it comes (the short-term maximum is the loudest of its
    3 s figures); with `progress`, the running figures are reported about once per second of
    audio: a track needed before its measurement ends can come in on a provisional gain.
    """
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
           "-af", "ebur128=peak=true:framelog=info", "-f", "null", "-"]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, errors="replace")
    except OSError as exc:
        raise AudioFailed(f"{path}: cannot measure loudness: {exc}") from None
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, proc.pid, 10)  # playback first: measuring may take its time
    timer = threading.Timer(MEASURE_TIMEOUT_S, proc.kill)
    timer.start()
    tail: list[str] = []
    reported = -PROGRESS_EVERY_S
    short_max = -math.inf
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if m := _FRAME.search(line):
                t, short_max = float(m.group(1)), max(short_max, float(m.group(2)))
                if progress is not None and t - reported >= PROGRESS_EVERY_S:
                    reported = t
                    peak = max(float(v) for v in m.group(4).split())
                    progress(t, TrackLevel(_finite(float(m.group(3)), -70.0), _finite(peak, -90.0),
                                           _short_term(short_max)))
                continue
            tail.append(line)
            del tail[:-40]
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(tail)
    found = _SUMMARY.findall(text)
    if proc.returncode != 0 or not found:
        last = text.strip().splitlines()[-1:] or ["no output"]
        raise AudioFailed(f"{path}: cannot measure loudness: {last[0]}")
    loudness, peak = (float(v) for v in found[-1])
    # digital silence: ebur128 gates everything out
    return TrackLevel(_finite(loudness, -70.0), _finite(peak, -90.0), _short_term(short_max))


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class LoudnessLookup:
    """Normalization gains by file; thread-safe (the Mixer asks from a worker thread).

    Args:
        config: the ``loudness`` config section.
        cache_path: JSON cache of measurements by file digest (the daemon passes
            <data_dir>/loudness-cache.json); None keeps it in memory only.
    """

    def __init__(self, config: LoudnessConfig, cache_path: Path | None = None, *, ffmpeg: str = "ffmpeg") -> None:
        self._config = config
        self._cache_path = cache_path
        self._ffmpeg = ffmpeg
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

    def analyze(self, path: Path, progress: Progress | None = None) -> Loudness:
        """Loudness, peak and gain of `path` (tags, cache, or a measurement: slow the first time).

        `progress(analysed_s, figures_so_far)` is called during a measurement (not for tags
        or cached files, which answer at once).
        """
        path = Path(path)
        known = self.known(path)
        if known is not None:
            return known
        level = measure(path, self._ffmpeg, progress)
        with self._lock:
            self._load_cache()[file_digest(path)] = {"loudness_lufs": level.loudness_lufs, "peak_db": level.peak_db,
                                                     "short_term_max_lufs": level.short_term_max_lufs,
                                                     "name": path.name}
            self._save()
        return self._result(level, "measured")

    def known(self, path: Path) -> Loudness | None:
        """What the file's tags or the cache already say (None: it must be measured). Never runs ffmpeg."""
        tagged = read_tags(path)
        if tagged is not None:
            loudness, peak, source = tagged
            return self._result(TrackLevel(loudness, peak), source)
        with self._lock:
            cached = self._load_cache().get(file_digest(path))
        if cached is None:
            return None
        # older caches lack the short-term maximum: the true peak still bounds the boost
        level = TrackLevel(cached["loudness_lufs"], cached["peak_db"], cached.get("short_term_max_lufs"))
        return self._result(level, "measured")

    def _result(self, level: TrackLevel, source: str) -> Loudness:
        gain = normalization_gain_db(level.loudness_lufs, level.peak_db, self._config)
        return Loudness(level.loudness_lufs, level.peak_db, source, gain, level.short_term_max_lufs)

    def gain_db(self, path: Path) -> float:
        return self.analyze(path).gain_db

    def measure_level(self, path: Path, progress: Progress | None = None) -> TrackLevel:
        """The `player.audio.analysis.LevelMeasurer` protocol: the figures, reporting progress."""
        return self.analyze(path, progress).level

    def _save(self) -> None:
        if self._cache_path is not None:
            text = json.dumps({"version": CACHE_VERSION, "files": self._cache}, indent=0, sort_keys=True)
            atomic_write_text(self._cache_path, text)


def as_dict(result: Loudness) -> dict:
    return asdict(result)
