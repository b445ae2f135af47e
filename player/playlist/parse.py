"""Turn the YAML tree of a playlist into checked specs, collecting every error at once.

Pure: works on the `LineDict`/`LineList` tree from `player.yamlsafe`, touches no files.
Track entries stay as the text the clinician wrote (a file or a glob); `resolve` finds them.
Each problem becomes a `Diagnostic` at the line of the YAML node that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass

from player.durations import format_duration, parse_duration, parse_gain_db
from player.playlist.checkpoint_spec import parse_checkpoints, parse_phase_until
from player.playlist.model import KNOWN_PHASES, Checkpoint, Diagnostic
from player.suggest import did_you_mean, edit_distance, unknown_key_message
from player.yamlsafe import LineDict, LineList

DEFAULT_CROSSFADE_S = 8.0
MAX_PHASE_S = 12 * 3600.0  # a longer phase is a unit mistake (10h for 10m), not a session
MIN_GAIN_DB, MAX_GAIN_DB = -60.0, 12.0
ON_SHORT_CHOICES = ("loop", "silence")
#: Track files in one playlist, after globs are expanded (a 4-hour session of 1-minute tracks
#: is 240): more is a mistake or an attack, refused before any file is looked at.
MAX_TRACKS = 10_000
NOT_A_PLAYLIST = "not a playlist: a playlist is a YAML mapping with 'name' and 'phases'"

TOP_KEYS = ("name", "crossfade", "phases", "checkpoints", "calmer")
PHASE_KEYS = ("name", "duration", "tracks", "crossfade", "fade_in", "fade_out", "on_short", "finish_track",
              "calmer", "until")
TRACK_KEYS = ("file", "gain")


@dataclass(frozen=True)
class EntrySpec:
    """One item of a phase's `tracks:` list: a file or a glob, relative to the playlist."""

    pattern: str
    gain_db: float
    line: int


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    duration_s: float
    crossfade_s: float
    fade_in_s: float | None
    fade_out_s: float | None
    on_short: str
    finish_track: bool
    entries: tuple[EntrySpec, ...]
    line: int
    tracks_line: int
    calmer: tuple[EntrySpec, ...] = ()   # the phase's own calmer music (`session-player calmer`)
    until_after_end_s: float | None = None   # ``until: infusion_end + 60m`` (player/core/anchored_phase.py)


@dataclass(frozen=True)
class PlaylistSpec:
    name: str
    crossfade_s: float
    phases: tuple[PhaseSpec, ...]
    checkpoints: tuple[Checkpoint, ...] = ()
    calmer: tuple[EntrySpec, ...] = ()   # calmer music for every phase without its own


class Collector:
    """Diagnostics for one file, in the order found."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Diagnostic] = []

    def error(self, line: int, message: str) -> None:
        self.items.append(Diagnostic(self.file, max(line, 1), "error", message))

    def warning(self, line: int, message: str) -> None:
        self.items.append(Diagnostic(self.file, max(line, 1), "warning", message))


_MISSING = object()


def parse_playlist_data(data: object, file: str) -> tuple[PlaylistSpec | None, list[Diagnostic]]:
    """Check the structure and values; return the spec and the diagnostics.

    The spec holds every phase that parsed cleanly even when other parts have errors, so
    the files of those phases are still checked and a clinician sees every problem at
    once; it is None only when the document is not a playlist-shaped mapping at all.
    """
    out = Collector(file)
    return _parse_top(data, out), out.items


def _parse_top(data: object, out: Collector) -> PlaylistSpec | None:
    if not isinstance(data, LineDict) or "phases" not in data:
        # Not ours: say so without quoting anything from it. The daemon may have been asked to
        # read a file the caller could not (/etc/shadow parses as a mapping of its lines).
        hint = ""
        if isinstance(data, LineDict):  # a typo of our own word is safe to name
            typo = next((k for k in data if isinstance(k, str) and k.isalpha() and len(k) <= 8
                         and edit_distance(k.lower(), "phases") <= 2), None)
            if typo is not None:
                hint = f" (is {typo!r} at line {data.line_of(typo)} meant to be 'phases'?)"
        out.error(getattr(data, "line", 1), NOT_A_PLAYLIST + hint)
        return None
    _unknown_keys(data, TOP_KEYS, "the playlist", out)
    name = _text(data, "name", "the playlist", out, required=True)
    crossfade = _seconds(data, "crossfade", out, default=DEFAULT_CROSSFADE_S, allow_zero=True)
    phases_node = data["phases"]
    phases: list[PhaseSpec] = []
    if _too_many_tracks(data, out):
        return None
    calmer = _parse_tracks(data, "the playlist", out, key="calmer")
    if not isinstance(phases_node, LineList) or not phases_node:
        out.error(data.line_of("phases"), f"'phases' must be a non-empty list of phases, got {_kind(phases_node)}")
    else:
        seen: dict[str, int] = {}
        for i, node in enumerate(phases_node):
            phase = _parse_phase(node, phases_node.line_of(i), i, crossfade, out)
            if phase is None:
                continue
            key = phase.name.casefold()
            if key in seen:
                out.error(phase.line, f"duplicate phase name {phase.name!r} (first at line {seen[key]})")
            else:
                seen[key] = phase.line
            phases.append(phase)
    whole = isinstance(phases_node, LineList) and len(phases) == len(phases_node)
    checkpoints = parse_checkpoints(data.get("checkpoints"), data.line_of("checkpoints"),
                                    sum(p.duration_s for p in phases) if whole else None, out,
                                    phases[-1].until_after_end_s if whole and phases else None)
    return PlaylistSpec(name=name or "", crossfade_s=DEFAULT_CROSSFADE_S if crossfade is None else crossfade,
                        phases=tuple(phases), checkpoints=checkpoints, calmer=calmer or ())


def _too_many_tracks(data: LineDict, out: Collector) -> bool:
    """Refuse a playlist naming more than `MAX_TRACKS` entries (tracks and calmer) before parsing any of them."""
    phases_node = data["phases"]
    if not isinstance(phases_node, LineList):
        return False
    nodes = [data, *(p for p in phases_node if isinstance(p, LineDict))]
    count = sum(len(n[key]) for n in nodes for key in ("tracks", "calmer") if isinstance(n.get(key), list))
    if count <= MAX_TRACKS:
        return False
    out.error(data.line_of("phases"), f"the playlist names {count:,} tracks; the limit is {MAX_TRACKS:,} per playlist")
    return True


def _parse_phase(node: object, line: int, index: int, default_crossfade: float | None,
                 out: Collector) -> PhaseSpec | None:
    where = f"phase {index + 1}"
    if not isinstance(node, LineDict):
        out.error(line, f"{where} must be a mapping with 'name' and 'duration', got {_kind(node)}")
        return None
    name = _text(node, "name", where, out, required=True)
    if name is not None:
        where = f"phase {name!r}"
        if name.casefold() not in KNOWN_PHASES:
            hint = did_you_mean(name, KNOWN_PHASES, max_distance=2)
            if hint:
                out.warning(node.line_of("name"), f"unusual phase name {name!r}{hint}")
    _unknown_keys(node, PHASE_KEYS, where, out)
    duration = _seconds(node, "duration", out, required=True, where=where)
    if duration is not None and duration > MAX_PHASE_S:
        out.error(node.line_of("duration"), f"{where} lasts {format_duration(duration)}; the limit is "
                  f"{format_duration(MAX_PHASE_S)} (did you mean minutes?)")
        duration = None
    crossfade = _seconds(node, "crossfade", out, default=default_crossfade, allow_zero=True)
    fade_in = _seconds(node, "fade_in", out, default=None, allow_zero=True)
    fade_out = _seconds(node, "fade_out", out, default=None, allow_zero=True)
    if duration is not None:
        for key, value in (("crossfade", crossfade), ("fade_in", fade_in), ("fade_out", fade_out)):
            if value is not None and value >= duration:
                out.error(node.line_of(key if key in node else "duration"),
                          f"{key} ({format_duration(value)}) is not shorter than {where} "
                          f"({format_duration(duration)})")
    on_short = _choice(node, "on_short", ON_SHORT_CHOICES, out)
    finish_track = _flag(node, "finish_track", out)
    entries = _parse_tracks(node, where, out)
    calmer = _parse_tracks(node, where, out, key="calmer")
    until = None
    if "until" in node:
        try:
            until = parse_phase_until(node["until"])
        except ValueError as exc:
            out.error(node.line_of("until"), f"{where}: {exc}")
            return None
    if None in (name, duration, crossfade, on_short, finish_track) or entries is None or calmer is None:
        return None
    return PhaseSpec(name=name, duration_s=duration, crossfade_s=crossfade, fade_in_s=fade_in,
                     fade_out_s=fade_out, on_short=on_short, finish_track=finish_track,
                     entries=entries, line=node.line, tracks_line=node.line_of("tracks"), calmer=calmer,
                     until_after_end_s=until)


def _parse_tracks(node: LineDict, where: str, out: Collector, *, key: str = "tracks") -> tuple[EntrySpec, ...] | None:
    """A list of track entries under `key`: ``tracks`` (a phase without any is silent: a warning) or
    ``calmer`` (optional: none means no calmer music there)."""
    value = node.get(key, _MISSING)
    if value is _MISSING or value is None:
        if key == "tracks":
            out.warning(node.line, f"{where} has no tracks: it will be silent")
        return ()
    if isinstance(value, str):
        value_list = LineList([value])
        value_list.line, value_list.item_lines = node.line_of(key), [node.line_of(key)]
        value = value_list
    if not isinstance(value, LineList):
        out.error(node.line_of(key), f"'{key}' in {where} must be a list of files, got {_kind(value)}")
        return None
    if not value:
        out.warning(node.line_of(key), f"{where} has no tracks: it will be silent" if key == "tracks"
                    else f"'calmer' in {where} is empty: no calmer music there")
    entries: list[EntrySpec] = []
    ok = True
    for i, item in enumerate(value):
        entry = _parse_entry(item, value.line_of(i), out)
        if entry is None:
            ok = False
        else:
            entries.append(entry)
    return tuple(entries) if ok else None


def _parse_entry(item: object, line: int, out: Collector) -> EntrySpec | None:
    if isinstance(item, str):
        return _entry(item, 0.0, line, out)
    if not isinstance(item, LineDict):
        out.error(line, f"a track is a file name or a mapping with 'file' (and 'gain'), got {_kind(item)}")
        return None
    _unknown_keys(item, TRACK_KEYS, "a track", out)
    ok = not any(k not in TRACK_KEYS for k in item)
    gain = 0.0
    if "gain" in item:
        try:
            gain = parse_gain_db(item["gain"])
        except ValueError as exc:
            out.error(item.line_of("gain"), str(exc))
            ok = False
        else:
            if not MIN_GAIN_DB <= gain <= MAX_GAIN_DB:
                out.error(item.line_of("gain"), f"gain {gain:g} dB is outside {MIN_GAIN_DB:g}..+{MAX_GAIN_DB:g} dB")
                ok = False
    if "file" not in item:
        out.error(item.line, "a track mapping needs 'file'")
        return None
    file = item["file"]
    if not isinstance(file, str):
        out.error(item.line_of("file"), f"'file' must be a path, got {_kind(file)}")
        return None
    entry = _entry(file, gain, item.line_of("file"), out)
    return entry if ok else None


def _entry(pattern: str, gain: float, line: int, out: Collector) -> EntrySpec | None:
    problem = path_problem(pattern)
    if problem:
        out.error(line, problem)
        return None
    return EntrySpec(pattern=pattern.strip(), gain_db=gain, line=line)


def path_problem(pattern: str) -> str | None:
    """Why a track path may not be used, or None. Paths must stay inside the playlist's folder."""
    text = pattern.strip()
    if not text:
        return "empty track path"
    if "\x00" in text or any(ord(c) < 32 for c in text):
        return "a track path contains control characters"
    if "\\" in text:
        return f"track path '{text}' uses '\\'; write paths with '/'"
    if text.startswith("/") or (len(text) > 1 and text[1] == ":") or text.startswith("~"):
        return f"track path '{text}' is absolute; write it relative to the playlist's folder"
    if ".." in text.split("/"):
        return f"track path '{text}' leaves the playlist's folder ('..' is not allowed)"
    return None


# --- typed values ----------------------------------------------------------------------

def _unknown_keys(node: LineDict, allowed: tuple[str, ...], where: str, out: Collector) -> None:
    for key in node:
        if key not in allowed:
            out.error(node.line_of(key), unknown_key_message(str(key), allowed, where))


def _text(node: LineDict, key: str, where: str, out: Collector, *, required: bool) -> str | None:
    if key not in node:
        if required:
            out.error(node.line, f"missing required key {key!r} in {where}")
        return None
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        out.error(node.line_of(key), f"{key!r} must be text, got {_kind(value)}")
        return None
    text = str(value).strip()
    if not text:
        out.error(node.line_of(key), f"{key!r} must not be empty")
        return None
    return text


def _seconds(node: LineDict, key: str, out: Collector, *, default: float | None = None,
             required: bool = False, allow_zero: bool = False, where: str = "") -> float | None:
    if key not in node:
        if required:
            out.error(node.line, f"missing required key {key!r} in {where}")
        return default
    try:
        seconds = parse_duration(node[key])
    except ValueError as exc:
        out.error(node.line_of(key), f"{key}: {exc}")
        return None
    if seconds < 0 or (seconds == 0 and not allow_zero):
        out.error(node.line_of(key), f"{key} must be {'zero or ' if allow_zero else ''}positive, got {node[key]!r}")
        return None
    return seconds


def _choice(node: LineDict, key: str, choices: tuple[str, ...], out: Collector) -> str | None:
    value = node.get(key, choices[0])
    if isinstance(value, str) and value in choices:
        return value
    hint = did_you_mean(value, choices) if isinstance(value, str) else ""
    out.error(node.line_of(key), f"{key} must be one of {', '.join(choices)}, got {value!r}{hint}")
    return None


def _flag(node: LineDict, key: str, out: Collector) -> bool | None:
    value = node.get(key, False)
    if isinstance(value, bool):
        return value
    out.error(node.line_of(key), f"{key} must be true or false, got {value!r}")
    return None


_KINDS: dict[type, str] = {LineDict: "a mapping", LineList: "a list", str: "text", bool: "true/false",
                           int: "a number", float: "a number", type(None): "nothing"}


def _kind(value: object) -> str:
    label = _KINDS.get(type(value), type(value).__name__)
    if isinstance(value, (LineDict, LineList)) and not value:
        return f"an empty {label.removeprefix('a ')}"
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return f"{label} ({value!r})"[:80]
    return label
