"""Checks that need the probed tracks: what fails a playlist and what a clinician should look at.

Pure: works on a built `Playlist` whose tracks carry probed durations and sample rates.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from player.durations import format_duration
from player.playlist.model import Phase, Playlist, Track
from player.playlist.parse import Collector

MIN_TRACK_S = 1.0  # shorter files are almost always mistakes (and make a phase a stutter)
PEAK_MIN_TRACK_S = 120.0
#: What a track loses to playback: the player starts it 2.5 s early, muted (its pre-roll), and
#: ends its fade the output's latency (1.5 s by default) before its end (docs/audio.md).
TRACK_OVERHEAD_S = 4.0


def check_tracks(playlist: Playlist, out: Collector) -> None:
    """Add errors and warnings about track lengths, loops and sample rates to `out`."""
    base = os.fspath(playlist.path.parent)

    def name(track: Track) -> str:
        return Path(os.path.relpath(track.path, base)).as_posix()

    for phase in playlist.phases:
        _check_phase(phase, name, out)
    _check_calmer(playlist, name, out)
    _check_sample_rates(playlist, name, out)


def _check_calmer(playlist: Playlist, name: Callable[[Track], str], out: Collector) -> None:
    """Calmer music crossfades with its phase's crossfade: the same track-length checks (the playlist's
    calmer music once, against the longest crossfade of the phases that would play it)."""
    for phase in playlist.phases:
        _check_lengths([t for t in phase.calmer if t.duration_s is not None], phase, name, out)
    users = [p for p in playlist.phases if not p.calmer]
    if playlist.calmer and users:
        phase = max(users, key=lambda p: p.crossfade_s)
        _check_lengths([t for t in playlist.calmer if t.duration_s is not None], phase, name, out)


def _check_phase(phase: Phase, name: Callable[[Track], str], out: Collector) -> None:
    known = [t for t in phase.tracks if t.duration_s is not None]
    _check_lengths(known, phase, name, out)
    if not known or len(known) != len(phase.tracks):
        return
    _check_coverage(phase, known, name, out)


def _check_lengths(known: list[Track], phase: Phase, name: Callable[[Track], str], out: Collector) -> None:
    """Each track is long enough for the phase's crossfades in and out."""
    for track in known:
        if track.duration_s < MIN_TRACK_S:
            out.error(track.line, f"{name(track)} is only {track.duration_s:.2f} s long; tracks must be "
                      f"at least {MIN_TRACK_S:g} s")
        elif phase.crossfade_s * 2 > track.duration_s:
            out.error(track.line, f"crossfade ({phase.crossfade_s:g} s) in phase {phase.name!r} is longer "
                      f"than half of {name(track)} ({track.duration_s:.1f} s): it would fade out before "
                      "it had faded in; shorten the crossfade or drop the track")
        elif phase.crossfade_s * 2 + TRACK_OVERHEAD_S > track.duration_s:
            heard = (track.duration_s - TRACK_OVERHEAD_S) / 2
            out.warning(track.line, f"{name(track)} ({track.duration_s:.1f} s) is short for crossfades of "
                        f"{phase.crossfade_s:g} s: the crossfades into and out of it shorten to about "
                        f"{max(0.0, heard):.1f} s (each track starts {TRACK_OVERHEAD_S:g} s of playback short); "
                        "still equal-power, but shorter")


def _check_coverage(phase: Phase, known: list[Track], name: Callable[[Track], str], out: Collector) -> None:
    """The phase's tracks fill its time (else they loop, or fall silent), and peak is not a stutter."""
    playing_s = sum(t.duration_s for t in known) - phase.crossfade_s * (len(known) - 1)
    if playing_s < phase.duration_s:
        then = "they will loop" if phase.on_short == "loop" else \
            f"then silence for {format_duration(phase.duration_s - playing_s)} (on_short: silence)"
        out.warning(phase.line, f"phase {phase.name!r} lasts {format_duration(phase.duration_s)} but its "
                    f"tracks play for {format_duration(playing_s)}: {then}")
    if phase.name.casefold() == "peak":
        short = [t for t in known if t.duration_s < PEAK_MIN_TRACK_S]
        if short:
            names = ", ".join(f"{name(t)} ({format_duration(t.duration_s)})" for t in short[:3])
            more = f" and {len(short) - 3} more" if len(short) > 3 else ""
            out.warning(short[0].line, f"peak phase has {len(short)} track(s) shorter than "
                        f"{format_duration(PEAK_MIN_TRACK_S)}: {names}{more}; many transitions at peak")


def _check_sample_rates(playlist: Playlist, name: Callable[[Track], str], out: Collector) -> None:
    every = [t for p in playlist.phases for t in (*p.tracks, *p.calmer)] + list(playlist.calmer)
    tracks = {t.path: t for t in every if t.sample_rate}
    rates = Counter(t.sample_rate for t in tracks.values())
    if len(rates) < 2:
        return
    common = rates.most_common(1)[0][0]
    odd = sorted((t for t in tracks.values() if t.sample_rate != common), key=lambda t: t.line)
    summary = ", ".join(f"{r} Hz x{n}" for r, n in sorted(rates.items()))
    names = ", ".join(f"{name(t)} ({t.sample_rate} Hz)" for t in odd[:3])
    more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
    out.warning(odd[0].line, f"mixed sample rates ({summary}): {names}{more} differ from {common} Hz; "
                "some audio devices resample or click at the change")
