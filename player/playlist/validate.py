"""Load a playlist file into a `Playlist`, or report every problem with its FILE:LINE.

This is the public face of the package (the session engine, the `check` and `plan`
commands and the USB import call it):

- `load_playlist(path)` returns a `Playlist` (warnings in `playlist.diagnostics`) or raises
  `PlaylistInvalid` carrying every diagnostic.
- `check_playlist(path)` returns the diagnostics and never raises for bad content.

Steps: safe YAML (size, aliases, nesting refused) -> structure (`parse`) -> files
(`resolve`, inside the playlist's folder only) -> probe (mutagen, each file once) ->
checks that need durations (`checks`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from player.errors import PlaylistInvalid
from player.playlist.checks import check_tracks
from player.playlist.model import Diagnostic, Phase, Playlist, Track
from player.playlist.parse import Collector, EntrySpec, PhaseSpec, PlaylistSpec, parse_playlist_data
from player.playlist.probe import AudioInfo, ProbeFailed, probe_audio
from player.playlist.resolve import Found, TrackBudget, resolve_entry
from player.yamlsafe import YamlRefused, load_yaml_file


def load_playlist(path: Path, *, probe: bool = True) -> Playlist:
    """Validate and build a playlist.

    Args:
        probe: read every audio file's header (durations, sample rates, tags). Without it,
            files are still found and confined to the folder, but durations stay None.

    Raises:
        PlaylistInvalid: any error; ``.diagnostics`` lists errors and warnings by line.
    """
    playlist, diagnostics = _validate(Path(path), probe)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors or playlist is None:
        summary = f"{path}: {len(errors)} error(s)"
        raise PlaylistInvalid(f"{summary}; first: {errors[0]}" if errors else summary, diagnostics)
    return playlist


def load_playlist_to_resume(path: Path) -> Playlist:
    """A playlist to take up again after a power cut: as `load_playlist`, but a track that went bad

    since the session started (a file now unreadable or not audio) does not drop the session:
    the playlist is then loaded without probing, and the mixer skips what will not play.

    Raises:
        PlaylistInvalid: the playlist itself is broken, or a file it names is gone.
    """
    try:
        return load_playlist(path)
    except PlaylistInvalid:
        return load_playlist(path, probe=False)


def check_playlist(path: Path) -> list[Diagnostic]:
    """Every error and warning for one playlist file (probing the audio), ordered by line."""
    return _validate(Path(path), True)[1]


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def _validate(path: Path, probe: bool) -> tuple[Playlist | None, list[Diagnostic]]:
    out = Collector(str(path))
    try:
        data = load_yaml_file(path)
    except YamlRefused as exc:  # its message names lines and problems, never the file's text
        out.error(exc.line, f"not a playlist: {exc}")
        return None, out.items
    except OSError as exc:
        out.error(1, f"cannot read playlist: {exc.strerror or exc}")
        return None, out.items
    spec, parse_diagnostics = parse_playlist_data(data, str(path))
    out.items.extend(parse_diagnostics)
    if spec is None:
        return None, _by_line(out.items)
    playlist = _build(path, spec, probe, out)
    if probe:
        check_tracks(playlist, out)
    diagnostics = _by_line(out.items)
    return replace(playlist, diagnostics=tuple(diagnostics)), diagnostics


def _build(path: Path, spec: PlaylistSpec, probe: bool, out: Collector) -> Playlist:
    base = path.parent if path.parent != Path("") else Path(".")
    cache: dict[Path, AudioInfo | ProbeFailed] = {}
    budget = TrackBudget()
    phases = tuple(_build_phase(base, phase, probe, cache, budget, out) for phase in spec.phases)
    calmer = _build_tracks(base, spec.calmer, probe, cache, budget, out)
    return Playlist(name=spec.name, path=path.absolute(), crossfade_s=spec.crossfade_s, phases=phases,
                    checkpoints=spec.checkpoints, calmer=calmer)


def _build_phase(base: Path, spec: PhaseSpec, probe: bool, cache: dict, budget: TrackBudget,
                 out: Collector) -> Phase:
    tracks = _build_tracks(base, spec.entries, probe, cache, budget, out)
    return Phase(name=spec.name, duration_s=spec.duration_s, tracks=tracks, crossfade_s=spec.crossfade_s,
                 fade_in_s=spec.fade_in_s, fade_out_s=spec.fade_out_s, on_short=spec.on_short,
                 finish_track=spec.finish_track, line=spec.line, until_after_end_s=spec.until_after_end_s,
                 calmer=_build_tracks(base, spec.calmer, probe, cache, budget, out))


def _build_tracks(base: Path, entries: tuple[EntrySpec, ...], probe: bool, cache: dict, budget: TrackBudget,
                  out: Collector) -> tuple[Track, ...]:
    tracks = []
    for entry in entries:
        for found in resolve_entry(base, entry, out, budget):
            track = _track(found, probe, cache, out)
            if track is not None:
                tracks.append(track)
    return tuple(tracks)


def _track(found: Found, probe: bool, cache: dict, out: Collector) -> Track | None:
    line = found.entry.line
    if not probe:
        return Track(path=found.path, gain_db=found.entry.gain_db, line=line)
    first_time = found.path not in cache
    if first_time:
        try:
            cache[found.path] = probe_audio(found.path)
        except ProbeFailed as exc:
            cache[found.path] = exc
    info = cache[found.path]
    if isinstance(info, ProbeFailed):
        if found.by_glob and "not an audio file" in str(info):
            if first_time:
                out.warning(line, f"{found.relative} (matched by {found.entry.pattern}) is {info}: skipped")
            return None
        out.error(line, f"{found.relative}: {info}")
        return None
    if info.vocal_hint and first_time:
        out.warning(line, f"{found.relative} may have vocals or lyrics ({info.vocal_hint}); "
                    "check it suits the session")
    return Track(path=found.path, gain_db=found.entry.gain_db, duration_s=info.duration_s,
                 sample_rate=info.sample_rate, line=line, tag_title=info.title)


def _by_line(items: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(items, key=lambda d: d.line)
