"""Loudness analysis as a background job: it yields to a busy audio path, runs lowered, measures only what is needed."""

from __future__ import annotations

import json
import math
import os
import stat
import threading
from pathlib import Path

import pytest
import soundfile as sf

from player.audio.analysis import URGENT, Analyzer, Preempted
from player.audio.loudness import LoudnessLookup, file_digest, true_peak_matters
from player.background import IOPRIO_CLASS_IDLE, NICE, Foreground, io_class, spawn_lowered
from player.clock import FakeClock
from player.config import LoudnessConfig
from player.core.level_model import LevelLimits, TrackLevel
from tests.audio.signals import pink_noise
from tests.engine.mixer_harness import Rig

WAIT = 30.0
CFG = LoudnessConfig()
LIMITS = LevelLimits()          # the shipped target, cap -6 dB, ceiling -1 dBTP
LEVEL = TrackLevel(-15.0, -10.0, -14.0)   # what the stand-in measurers find


def children() -> list[str]:
    """ffmpeg processes whose parent is this one (from /proc; a session's virtual sound card may be another child)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and "(ffmpeg)" in stat:
                found.append(pid)
        except (OSError, IndexError, ValueError):
            continue
    return found


class Recorder:
    """A measurer that reports each start (an Event per path) and the priority of its thread."""

    def __init__(self) -> None:
        self.started: dict[str, threading.Event] = {}
        self.priority: tuple[int, int] | None = None
        self.urgent: dict[str, bool | None] = {}
        self._lock = threading.Lock()

    def event(self, name: str) -> threading.Event:
        with self._lock:
            return self.started.setdefault(name, threading.Event())

    def measure_level(self, path: Path, progress=None, urgent: bool | None = None, cancel=None) -> TrackLevel:
        tid = threading.get_native_id()
        self.urgent[path.name] = urgent
        self.priority = (os.getpriority(os.PRIO_PROCESS, tid), io_class(tid))
        self.event(path.name).set()
        return LEVEL


def test_work_ahead_waits_for_a_quiet_audio_path_but_an_urgent_deck_does_not():
    clock = FakeClock()
    fg = Foreground(clock.monotonic)
    rec = Recorder()
    analyzer = Analyzer(rec, foreground=fg)
    try:
        fg.busy_for(60.0)                                   # a deck is loading and fading in
        analyzer.want(Path("ahead.flac"), 100)
        analyzer.want(Path("now.flac"), URGENT)             # the deck waits for this one
        assert rec.event("now.flac").wait(WAIT)
        assert not rec.event("ahead.flac").is_set()        # still held back: the audio path is busy
        clock.advance(60.0)
        fg.busy_for(0.0)                                    # quiet again
        assert rec.event("ahead.flac").wait(WAIT)
        assert analyzer.wait_idle(WAIT)
        assert analyzer.result(Path("ahead.flac")).level == LEVEL
    finally:
        analyzer.close()


def test_the_daemons_worker_thread_runs_at_nice_19_and_io_idle_and_says_which_job_is_urgent():
    rec = Recorder()
    analyzer = Analyzer(rec, background=True)
    try:
        analyzer.want(Path("a.flac"))
        assert rec.event("a.flac").wait(WAIT)
        assert rec.priority == (NICE, IOPRIO_CLASS_IDLE)
        analyzer.want(Path("now.flac"), URGENT)
        assert rec.event("now.flac").wait(WAIT)
        assert rec.urgent == {"a.flac": False, "now.flac": True}   # a deck waits: measured unpaced
    finally:
        analyzer.close()


def test_the_mixer_marks_the_audio_path_busy_on_load_play_and_fades_only():
    """Background work waits while a deck loads, pre-rolls or fades; steady playback makes no device call."""
    rig = Rig({"volume": {"fade_in_s": 3}})
    fg = rig.foreground
    rig.run(2.0)
    assert not fg.busy()                                    # silence: ticks read, call nothing
    rig.mixer.play(rig.track("a", 600.0), fade_in_s=3.0)
    assert fg.busy()                                        # the deck's load and play
    busy = []
    for _ in range(40):                                     # pre-roll and the 3 s fade in: each step marks it
        rig.run(0.1)
        busy.append(fg.busy())
    assert all(busy[:30])
    rig.run(5.0)
    assert not fg.busy()                                    # steady playback: no call, the flag clears
    assert rig.out.position_s("A") or rig.out.position_s("B") or rig.out.position_s("C")   # and it plays
    rig.mixer.pause(fade_s=1.0)
    rig.run(0.1)
    assert fg.busy()                                        # a fade out's volume steps


def test_ffmpeg_started_for_the_daemon_inherits_the_lowest_priority(tmp_path: Path):
    seen = tmp_path / "seen.txt"
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\necho "$(cut -d" " -f19 /proc/$$/stat) $(chrt -p $$ | grep -c IDLE) '
                       f'$(ionice -p $$)" >> {seen}\nexec ffmpeg "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    lookup = LoudnessLookup(CFG, ffmpeg=str(wrapper), spawn=spawn_lowered)
    lookup.analyze(pink_noise(tmp_path / "a.flac", 4, rms_dbfs=-20))
    nice, idle, io = seen.read_text().splitlines()[0].split(" ", 2)
    assert (int(nice), int(idle), io) == (NICE, 1, "idle")
    lookup.analyze(pink_noise(tmp_path / "b.flac", 4, rms_dbfs=-21), urgent=True)   # a deck waits for it
    nice, idle, io = seen.read_text().splitlines()[1].split(" ", 2)
    assert int(idle) == 0 and int(nice) >= 10   # not SCHED_IDLE: nothing plays yet, the patient waits


def test_a_loud_track_skips_the_true_peak_pass_and_keeps_the_short_term_maximum(tmp_path: Path):
    cache = tmp_path / "cache.json"
    loud = LoudnessLookup(CFG, cache).analyze(pink_noise(tmp_path / "loud.flac", 8, rms_dbfs=-12))
    assert loud.gain_db < 0 and loud.peak_kind == "sample"
    assert loud.short_term_max_lufs is not None and loud.short_term_max_lufs >= loud.loudness_lufs - 0.5
    record = next(iter(json.loads(cache.read_text())["files"].values()))
    assert record["peak_kind"] == "sample" and record["short_term_max_lufs"] == loud.short_term_max_lufs
    again = LoudnessLookup(CFG, cache).analyze(tmp_path / "loud.flac")   # from the cache: the same record
    assert (again.peak_kind, again.short_term_max_lufs) == ("sample", loud.short_term_max_lufs)


def test_a_quiet_track_whose_peak_bounds_its_gain_gets_the_true_peak(tmp_path: Path):
    path = pink_noise(tmp_path / "quiet.flac", 8, rms_dbfs=-32)
    data, rate = sf.read(path)
    data[rate * 4] = 0.7                                   # one loud click: the peak bounds the boost
    sf.write(path, data, rate)
    quiet = LoudnessLookup(CFG).analyze(path)
    assert quiet.peak_kind == "true"
    assert quiet.gain_db == pytest.approx(min(CFG.target_lufs - quiet.loudness_lufs,
                                              CFG.max_true_peak_db - quiet.peak_db))
    assert quiet.level.peak_db == quiet.peak_db              # the level model reads the true peak itself


@pytest.mark.parametrize(("loudness", "sample_peak", "matters"),
                         [(-14, -1, False), (-23, -10, False), (-23, -6, False), (-23, -2, True), (-30, -10, False),
                          (-30, -9, True), (-60, -40, False), (-60, -20, True), (-70, -90, False)])
def test_true_peak_matters_only_where_3_db_more_could_bound_the_level_models_gain(loudness, sample_peak, matters):
    # the most gain the level model gives: need + cap (heard at the cap), at most the max boost / VLC's range
    assert true_peak_matters(loudness, sample_peak, LIMITS) is matters


@pytest.mark.parametrize(("loudness", "sample_peak", "cap", "boost", "matters"),
                         [(-23, -6, 0.0, 18.0, True), (-30, -10, 0.0, 18.0, True), (-30, -9, -6.0, 5.0, False),
                          (-30, -8, -6.0, 5.0, True), (-40, -20, -6.0, 18.0, False), (-40, -19, -6.0, 18.0, True)])
def test_true_peak_matters_follows_the_cap_and_the_max_boost(loudness, sample_peak, cap, boost, matters):
    # a quiet master boosted above VLC 100 % (need 22 dB, +16 at the cap) needs its true peak near -1 dBTP
    assert true_peak_matters(loudness, sample_peak, LevelLimits(cap_db=cap, max_boost_db=boost)) is matters


def test_a_sample_peak_reaches_the_level_model_as_its_upper_bound_and_a_higher_cap_measures_the_true_peak(
        tmp_path: Path):
    path = pink_noise(tmp_path / "mid.flac", 8, rms_dbfs=-24)
    cache = tmp_path / "cache.json"
    mid = LoudnessLookup(CFG, cache).analyze(path)             # the shipped cap: the true peak cannot matter
    assert mid.peak_kind == "sample"
    assert mid.level.peak_db == pytest.approx(mid.peak_db + 3.0)   # errs high: safe whatever the config becomes
    assert not true_peak_matters(mid.loudness_lufs, mid.peak_db, LIMITS)
    loose = LevelLimits(cap_db=0.0, max_true_peak_db=mid.peak_db + 3.0 + (CFG.target_lufs - mid.loudness_lufs) - 1.0)
    assert true_peak_matters(mid.loudness_lufs, mid.peak_db, loose)
    again = LoudnessLookup(CFG, cache, limits=loose).analyze(path)   # now it could: measured after all
    assert again.peak_kind == "true" and again.level.peak_db == again.peak_db <= mid.peak_db + 3.0
    record = next(iter(json.loads(cache.read_text())["files"].values()))
    assert (record["peak_kind"], record["sample_peak_db"]) == ("true", mid.peak_db)


def test_a_cache_written_before_keeps_its_true_peaks(tmp_path: Path):
    track = pink_noise(tmp_path / "a.flac", 4, rms_dbfs=-20)
    cache = tmp_path / "cache.json"
    cache.write_text(json.dumps({"version": 1, "files": {file_digest(track): {
        "loudness_lufs": -20.0, "peak_db": -3.0, "name": "a.flac"}}}))
    known = LoudnessLookup(CFG, cache).analyze(track)
    assert (known.peak_db, known.peak_kind, known.short_term_max_lufs) == (-3.0, "true", None)


def test_a_track_seen_early_to_be_peak_bound_switches_to_one_true_peak_pass(tmp_path: Path):
    path = pink_noise(tmp_path / "quiet.flac", 30, rms_dbfs=-32)
    data, rate = sf.read(path)
    data[rate * 2] = 0.7                                   # the click comes early: known after 20 s
    sf.write(path, data, rate)
    cache = tmp_path / "cache.json"
    seen = []
    quiet = LoudnessLookup(CFG, cache).analyze(path, lambda t, gain: seen.append(t))
    record = next(iter(json.loads(cache.read_text())["files"].values()))
    assert quiet.peak_kind == "true" and "sample_peak_db" not in record
    assert quiet.short_term_max_lufs is not None
    assert max(seen) >= 29.0                               # progress went on through the true-peak pass


class Slow:
    """A paced measurement of ``long.flac`` that runs until something urgent comes (then its progress raises)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.long_started = threading.Event()
        self.urgent_asked = threading.Event()

    def measure_level(self, path: Path, progress=None, urgent: bool = False, cancel=None) -> TrackLevel:
        self.calls.append((path.name, urgent))
        if path.name == "long.flac" and len(self.calls) == 1:
            self.long_started.set()
            assert self.urgent_asked.wait(WAIT)
            progress(10.0, LEVEL)                          # the next progress report: preempted here
            raise AssertionError("not preempted")
        return LEVEL


def test_an_urgent_request_stops_paced_work_ahead_which_is_queued_again():
    slow = Slow()
    analyzer = Analyzer(slow, background=True)
    try:
        analyzer.want(Path("long.flac"), 100)
        assert slow.long_started.wait(WAIT)
        analyzer.want(Path("now.flac"), URGENT)            # a deck waits for this one
        slow.urgent_asked.set()
        assert analyzer.wait_idle(WAIT)
        assert slow.calls == [("long.flac", False), ("now.flac", True), ("long.flac", False)]
        assert analyzer.result(Path("long.flac")).final and analyzer.result(Path("now.flac")).final
    finally:
        analyzer.close()


def test_the_running_track_asked_for_urgently_starts_again_unpaced():
    slow = Slow()
    analyzer = Analyzer(slow, background=True)
    try:
        analyzer.want(Path("long.flac"), 100)
        assert slow.long_started.wait(WAIT)
        analyzer.want(Path("long.flac"), URGENT)           # the deck now needs the very track measured ahead
        slow.urgent_asked.set()
        assert analyzer.wait_idle(WAIT)
        assert slow.calls == [("long.flac", False), ("long.flac", True)]
    finally:
        analyzer.close()


def test_a_measurement_stopped_by_its_progress_leaves_no_ffmpeg_and_no_cache_entry(tmp_path: Path):
    cache = tmp_path / "cache.json"
    lookup = LoudnessLookup(CFG, cache, spawn=spawn_lowered)

    def stop(analysed_s, gain_db):
        raise Preempted(Path("x"))

    with pytest.raises(Preempted):
        lookup.analyze(pink_noise(tmp_path / "a.flac", 30, rms_dbfs=-20), stop)
    assert not cache.exists()
    assert children() == []                                 # killed and reaped, not left running


def test_a_measurement_stands_when_the_cache_cannot_be_written(tmp_path: Path):
    # measured ahead only once the audio path is quiet, a track may be measured after the disk filled
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    lookup = LoudnessLookup(CFG, blocked / "cache.json")
    path = pink_noise(tmp_path / "a.flac", 4, rms_dbfs=-21)
    first = lookup.analyze(path)
    assert first.source == "measured" and first.loudness_lufs < -15
    assert lookup.known(path) == first                       # kept in memory: not measured again


class _Slowly:
    """A pacer that holds ffmpeg to 2 % of the wall time (a measurement in progress for a while)."""

    def fraction(self, urgent: bool = False) -> float:
        return 0.02

    def pace(self, cpu_s: float) -> None:
        pass


def _close_while_measuring(lookup: LoudnessLookup, path: Path) -> None:
    """Have `path` measured ahead, close the Analyzer once its ffmpeg runs: none may be left."""
    analyzer = Analyzer(lookup, background=True)
    try:
        analyzer.want(path, 100)
        started = threading.Event()
        for _ in range(200):
            if children():
                started.set()
                break
            threading.Event().wait(0.05)
        assert started.is_set(), "ffmpeg never started"
    finally:
        analyzer.close()
    assert children() == []                                 # killed and reaped before close returned


def test_closing_the_analyzer_stops_the_measurement_in_progress(tmp_path: Path):
    """The daemon stops (service stop, a test, the bench) while a track is measured ahead: its ffmpeg
    went on as an orphan for up to the track's length, in the stopped service's CPU budget."""
    lookup = LoudnessLookup(CFG, tmp_path / "cache.json", pacer=_Slowly(), spawn=spawn_lowered)
    _close_while_measuring(lookup, pink_noise(tmp_path / "long.flac", 120, rms_dbfs=-20))


def test_closing_the_analyzer_stops_a_true_peak_pass_too(tmp_path: Path):
    """A cached sample-peak track whose true peak matters under today's config gets a second,
    true-peak pass; it reported no progress, so a close (or an urgent deck) could not stop it:
    close waited its 5 s and returned with that ffmpeg still running."""
    path = pink_noise(tmp_path / "long.flac", 120, rms_dbfs=-24)
    cache = tmp_path / "cache.json"
    mid = LoudnessLookup(CFG, cache).analyze(path)             # the shipped cap: sample peak kept
    assert mid.peak_kind == "sample"
    loose = LevelLimits(cap_db=0.0, max_true_peak_db=mid.peak_db + 3.0 + (CFG.target_lufs - mid.loudness_lufs) - 1.0)
    lookup = LoudnessLookup(CFG, cache, pacer=_Slowly(), spawn=spawn_lowered, limits=loose)
    _close_while_measuring(lookup, path)
    assert next(iter(json.loads(cache.read_text())["files"].values()))["peak_kind"] == "sample"   # nothing half-kept


def test_a_second_true_peak_pass_reports_the_first_pass_figures_and_can_be_stopped(tmp_path: Path):
    path = pink_noise(tmp_path / "quiet.flac", 30, rms_dbfs=-24)
    data, rate = sf.read(path)
    data[int(rate * 29.8)] = 0.9                           # in the last second, after the last running figure
    sf.write(path, data, rate)
    cache = tmp_path / "cache.json"
    seen: dict[float, TrackLevel] = {}

    def stop_in_the_second_pass(t: float, level: TrackLevel) -> None:
        if t in seen:                                      # the second pass repeats the whole track's figures
            assert level == seen[t]
            raise Preempted(path)
        seen[t] = level

    with pytest.raises(Preempted):
        LoudnessLookup(CFG, cache, spawn=spawn_lowered).analyze(path, stop_in_the_second_pass)
    last = seen[max(seen)]
    assert max(seen) >= 29.0 and last.peak_db >= 20 * math.log10(0.9) + 3.0 - 0.1   # the sample peak + its bound
    assert children() == [] and not cache.exists()
