"""Show the timeline a session would follow if nobody touched a control.

Each phase's planned start and end (offset from the session start, and clock time with
--start), then its tracks in order: when each starts, how long it sounds, which pass
through the list it belongs to (loops), and where crossfades begin. A phase ends on the
clock: the track playing then is cut and crossfades into the next phase, unless the
phase says ``finish_track: true``.

Checkpoints (``checkpoints:``: what staff must do when, on the session clock) are listed
after the phases. --json prints {"name", "total_s", "phases": [{"name", "start_s", "end_s",
"tracks": [{"file", "start_s", "duration_s", ...}]}], "checkpoints": [{"at_s", "text"}],
"calmer": [{"phase", "files"}], "level_notes": [...]} (calmer: the music `session-player calmer` would play in each
phase, its own or the playlist's; level_notes: the tracks whose known loudness lowers the
session's level, docs/audio.md). With --avoid ITEM or --preferences FILE (the patient's music
preferences) the tracks whose tags match an avoided item are flagged (--json: "avoid" and
"music_flags": [{"file", "tag", "text", "word", "item", "says"}]).
Exit status: 0 planned, 1 invalid playlist (or preferences file), 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from player.audio.session_levels import playlist_level_notes
from player.commands.music_prefs_options import add_preference_options, flag_lines, preferences_of
from player.durations import format_duration
from player.errors import PlaylistInvalid
from player.playlist.checkpoint_spec import checkpoints_to_json
from player.playlist.model import Checkpoint, Playlist
from player.playlist.plan import SessionPlan, plan_session, plan_to_json
from player.playlist.validate import load_playlist
from player.reports.music_flags import playlist_flags

NAME = "plan"
HELP = "print the session timeline a playlist gives (phases, tracks, crossfades)"


def _clock(text: str) -> dt.time:
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a clock time HH:MM such as 14:30, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, metavar="PLAYLIST", help="playlist YAML file")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument("--start", type=_clock, metavar="HH:MM",
                        help="also show clock times for a session starting then")
    add_preference_options(parser, quieter=False)


def run(args: argparse.Namespace) -> int:
    try:
        playlist = load_playlist(args.playlist)
    except PlaylistInvalid as exc:
        for d in exc.diagnostics:
            print(d)
        print(f"{args.playlist}: invalid, no plan")
        return 1
    for d in playlist.warnings + tuple(_voice(args, playlist)):  # on stderr with --json: stdout stays pure JSON
        print(d, file=sys.stderr if args.json else sys.stdout)
    plan = plan_session(playlist)
    calmer = calmer_music(playlist)
    levels = playlist_level_notes(playlist, getattr(args, "config", None))
    prefs = preferences_of(args)
    flags = playlist_flags(playlist, prefs.avoid) if prefs else []
    if args.json:
        data = {**plan_to_json(plan), "calmer": calmer, "level_notes": levels}
        data["checkpoints"] = checkpoints_to_json(playlist.checkpoints)
        if args.start:
            data["start"] = args.start.strftime("%H:%M")
        if prefs:
            data.update(avoid=list(prefs.avoid), music_flags=flags)
        print(json.dumps(data, indent=2))
    else:
        print("\n".join(render_plan(plan, args.start, playlist.checkpoints)))
        for row in calmer:
            print(f"calmer music in {row['phase']}: {', '.join(row['files']) or 'none'}")
        for note in levels:
            print(f"level: {note}")
        if prefs:
            print("\n".join(flag_lines(playlist, prefs, flags)))
    return 0


def _voice(args: argparse.Namespace, playlist: Playlist) -> list:
    """What an earlier listen (check --analyze, analyze, the import) found; plan itself never listens."""
    from player.audio.voice_cache import voice_lookup
    from player.config import load_config
    from player.errors import ConfigInvalid
    from player.playlist.voice_check import tracks_to_scan, voice_diagnostics

    try:
        config = load_config(args.config)
    except ConfigInvalid:
        return []   # the plan does not need the config; `session-player config` reports it
    if config.library.voice_scan == "off":
        return []
    scans = voice_lookup(config.data_dir).scan_all((t.path for t in tracks_to_scan(playlist)), listen=False)
    return voice_diagnostics(playlist, scans, config.library.voice_scan, file=str(args.playlist))


def calmer_music(playlist: Playlist) -> list[dict]:
    """The files `session-player calmer` plays in each phase (its own ``calmer:``, else the playlist's)."""
    base = os.fspath(playlist.path.parent)
    return [{"phase": p.name, "files": [Path(os.path.relpath(t.path, base)).as_posix() for t in playlist.calmer_for(i)]}
            for i, p in enumerate(playlist.phases)]


def render_plan(plan: SessionPlan, start: dt.time | None = None, checkpoints: tuple[Checkpoint, ...] = ()) -> list[str]:
    """The plan as text lines; offsets as H:MM:SS from the start, clock times when `start` is given."""
    origin = dt.datetime.combine(dt.date(2000, 1, 1), start) if start else None

    def at(seconds: float) -> str:
        offset = format_duration(seconds).rjust(7)
        if origin is None:
            return offset
        return f"{offset}  {(origin + dt.timedelta(seconds=round(seconds))).strftime('%H:%M:%S')}"

    lines = [f"{plan.name}: {format_duration(plan.total_s)} in {len(plan.phases)} phase(s)"]
    for phase in plan.phases:
        notes = [f"crossfade {phase.crossfade_s:g}s"]
        if phase.fade_in_s:
            notes.append(f"fade in {phase.fade_in_s:g}s")
        if phase.fade_out_s:
            notes.append(f"fade out {phase.fade_out_s:g}s")
        if phase.end_s - phase.start_s > phase.planned_duration_s + 1e-6:
            notes.append(f"extended to finish its track (planned {format_duration(phase.planned_duration_s)})")
        lines.append("")
        lines.append(f"{at(phase.start_s)}  {phase.name.upper()}  until {at(phase.end_s).strip()}"
                     f"  ({format_duration(phase.end_s - phase.start_s)}; {', '.join(notes)})")
        for t in phase.tracks:
            loop = f"  [loop {t.loop}]" if t.loop else ""
            if t.crossfade_at_s is None:
                ending = "ends"
            elif t.cut:
                ending = f"cut, crossfade at {at(t.crossfade_at_s).strip()}"
            else:
                ending = f"crossfade at {at(t.crossfade_at_s).strip()}"
            lines.append(f"{at(t.start_s)}    {t.file}  {format_duration(t.duration_s)}{loop}  ({ending})")
        if phase.silent_from_s is not None:
            lines.append(f"{at(phase.silent_from_s)}    (silence until the phase ends)")
    if checkpoints:
        lines += ["", f"CHECKPOINTS ({len(checkpoints)}; silent to the patient, on the session clock)"]
        lines += [f"{at(cp.at_s)}  {cp.text}" for cp in checkpoints]
    lines.append("")
    lines.append(f"{at(plan.total_s)}  END")
    return lines
