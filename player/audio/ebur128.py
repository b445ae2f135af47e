"""Measuring a file with ffmpeg's ebur128 filter: loudness, peak, short-term maximum, what it cost.

One pass of ``ebur128`` (ITU-R BS.1770-4) gives the integrated loudness, the short-term (3 s)
loudness maximum and the sample peak; ``peak=true`` adds the 4x oversampled true peak at
about twice the cost. ffmpeg's per-frame log is read as it comes, so a caller sees running
figures (a provisional gain) and may stop a pass early. A pass may be started at background
priority and held to a share of the CPU (`player.background.DutyCycle`).
Why ffmpeg: see `player.audio.loudness`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from player.background import DutyCycle
from player.core.level_model import TrackLevel
from player.errors import AudioFailed

_SUMMARY = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)\s*LUFS.*?Peak:\s*(-?[\d.]+|-inf)\s*dBFS", re.S)
_FRAME = re.compile(r"\bt:\s*([\d.]+).*?\bS:\s*(-?[\d.]+|-inf)\s+I:\s*(-?[\d.]+|-inf)\s*LUFS.*?\b[ST]PK:"
                    r"\s*((?:\s*-?[\d.]+|\s*-inf)+)\s*dBFS")
PROGRESS_EVERY_S = 1.0   # report a running figure once per second of audio analysed
MEASURE_TIMEOUT_S = 600.0   # of the pass's own running time (a held pass gets a fraction of the wall time)
SHORT_TERM_S = 3.0       # the short-term window: earlier frames are not yet a short-term figure
#: (analysed_s, loudness so far LUFS, peak so far dB, short-term maximum so far LUFS or None)
Progress = Callable[[float, float, float, float | None], None]
Spawn = Callable[[Callable[[], subprocess.Popen]], subprocess.Popen]


def _finite(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


def _short_term(lufs: float) -> float | None:
    """The short-term maximum, None where there is none (silence, or a file shorter than its 3 s window)."""
    return lufs if math.isfinite(lufs) and lufs > -70.0 else None


@dataclass(frozen=True)
class Scan:
    """One ffmpeg pass: what the level model needs, and how much audio it read."""

    loudness_lufs: float
    peak_db: float                 # sample peak, or true peak for a `true_peak` pass
    short_term_max_lufs: float | None
    audio_s: float


def _popen(cmd: list[str], path: Path, spawn: Spawn | None) -> subprocess.Popen:
    def start() -> subprocess.Popen:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, errors="replace")
    try:
        if spawn is not None:
            return spawn(start)        # lowered to background priority before ffmpeg starts
        proc = start()
    except OSError as exc:
        raise AudioFailed(f"{path}: cannot measure loudness: {exc}") from None
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, proc.pid, 10)  # a foreground `analyze`: playback still first
    return proc


def _run(cmd: list[str], path: Path, spawn: Spawn | None, on_line: Callable[[str], bool],
         share: float | None, cancel: threading.Event | None, pause_while: Callable[[], bool] | None) -> str:
    """Run ffmpeg (held to `share` of the wall time, killed once `cancel` is set); `on_line` takes the
    lines it wants (True); the rest's tail."""
    proc = _popen(cmd, path, spawn)
    timer = threading.Timer(MEASURE_TIMEOUT_S / (share or 1.0), proc.kill)
    timer.start()
    tail: list[str] = []
    try:
        with DutyCycle(proc.pid, share, cancel=cancel, pause_while=pause_while) if share \
                else contextlib.nullcontext():
            assert proc.stderr is not None
            for line in proc.stderr:
                if not on_line(line):
                    tail.append(line)
                    del tail[:-40]
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(tail)
    if proc.returncode != 0:
        if cancel is not None and cancel.is_set():
            raise Cancelled(path)           # killed on purpose; a pass that finished all the same stands
        last = text.strip().splitlines()[-1:] or ["no output"]
        raise AudioFailed(f"{path}: cannot measure loudness: {last[0]}")
    return text


def _input(ffmpeg: str, path: Path, share: float | None) -> list[str]:
    # held to a small share of a small CPU budget: one thread, so a slice of wall time is that much CPU
    held = ["-threads", "1", "-filter_threads", "1"] if share else []
    return [ffmpeg, "-nostdin", "-hide_banner", "-nostats", *held, "-i", str(path), "-map", "0:a:0"]


class GaveUp(Exception):
    """`scan` stopped early because its `give_up` said another pass would do better."""


class Cancelled(Exception):
    """`scan` stopped because its caller set `cancel` (ffmpeg was killed)."""


def scan(path: Path, ffmpeg: str = "ffmpeg", progress: Progress | None = None, *, true_peak: bool = False,
         share: float | None = None, spawn: Spawn | None = None,
         give_up: Callable[[float, float, float], bool] | None = None, cancel: threading.Event | None = None,
         pause_while: Callable[[], bool] | None = None) -> Scan:
    """Integrated loudness, peak and short-term maximum of `path` in one pass of ffmpeg's ebur128.

    The sample peak costs little; `true_peak` (4x oversampled, BS.1770) doubles the time.
    ffmpeg's per-frame log is read as it comes: the short-term maximum, and with `progress`
    the running figures about once per second of audio, so a track needed before its
    measurement ends can come in on a provisional gain. `share` holds ffmpeg to that fraction
    of the wall time (`DutyCycle`); `spawn` starts ffmpeg (e.g. at background priority). `give_up(t, loudness,
    peak)`, asked with the running figures once a second of audio, stops it (raises `GaveUp`);
    so does `cancel` once set (raises `Cancelled`; a held pass is killed within 100 ms). A held
    pass stays stopped while `pause_while()` says so.
    """
    peak = "true" if true_peak else "sample"
    cmd = [*_input(ffmpeg, path, share), "-af", f"ebur128=peak={peak}:framelog=info", "-f", "null", "-"]
    state = {"t": 0.0, "reported": -PROGRESS_EVERY_S, "short": -math.inf}

    def frame(line: str) -> bool:
        m = _FRAME.search(line)
        if m is None:
            return False
        t = state["t"] = float(m.group(1))
        if t >= SHORT_TERM_S:
            state["short"] = max(state["short"], float(m.group(2)))
        if (progress is not None or give_up is not None) and t - state["reported"] >= PROGRESS_EVERY_S:
            state["reported"] = t
            lufs, pk = _finite(float(m.group(3)), -70.0), _finite(max(float(v) for v in m.group(4).split()), -90.0)
            if give_up is not None and give_up(t, lufs, pk):
                raise GaveUp(path)          # _run kills ffmpeg on the way out
            if progress is not None:
                progress(t, lufs, pk, _short_term(state["short"]))
        return True

    text = _run(cmd, path, spawn, frame, share, cancel, pause_while)
    found = _SUMMARY.findall(text)
    if not found:
        last = text.strip().splitlines()[-1:] or ["no output"]
        raise AudioFailed(f"{path}: cannot measure loudness: {last[0]}")
    loudness, pk = (float(v) for v in found[-1])
    # digital silence: ebur128 gates everything out
    return Scan(_finite(loudness, -70.0), _finite(pk, -90.0), _short_term(state["short"]), state["t"])


def true_peak_db(path: Path, ffmpeg: str = "ffmpeg", *, share: float | None = None, spawn: Spawn | None = None,
                 progress: Progress | None = None, cancel: threading.Event | None = None,
                 pause_while: Callable[[], bool] | None = None) -> float:
    """The true peak (dBTP): ebur128's 4x oversampled true peak, the meter tests/audio check.

    `progress`, `cancel` and `pause_while` as for `scan`: a caller that raises from `progress` or sets `cancel`
    stops the pass (ffmpeg is killed).

    (A plain ``aresample=192000,astats`` pass costs 40 % less but read up to 2.6 dB high on
    EBU's true-peak test signals near Nyquist: not the figure the level model trusts.)
    """
    return scan(path, ffmpeg, progress, true_peak=True, share=share, spawn=spawn, cancel=cancel,
                pause_while=pause_while).peak_db


def measure(path: Path, ffmpeg: str = "ffmpeg",
            progress: Callable[[float, TrackLevel], None] | None = None) -> TrackLevel:
    """Integrated loudness, true peak and short-term maximum of `path` in one true-peak pass (the full measurement).

    `progress(analysed_s, figures_so_far)` about once per second of audio.
    """
    def running(t: float, lufs: float, peak: float, short: float | None) -> None:
        if progress is not None:
            progress(t, TrackLevel(lufs, peak, short))

    found = scan(path, ffmpeg, running if progress is not None else None, true_peak=True)
    return TrackLevel(found.loudness_lufs, found.peak_db, found.short_term_max_lufs)
