"""Import playlists from a stick: scan, validate, plan, copy + verify, then swap or defer.

Order matters for safety. Nothing on the stick is opened before ``lstat`` facts say it is a
plain file; playlists are first validated without probing (to learn which files they
need) and those files checked against the scan; only then are files copied, through
`copier` (no links, no FIFOs), into a staging generation. The staged playlists are then
validated again *with* probing, against the copies: what is checked is what will play.
Finally the generation becomes current, or pending while a session runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from player.audio.session_levels import level_notes, lookup_for, playlist_tracks
from player.background import spawn_lowered
from player.config import Config
from player.errors import ImportRefused, PlaylistInvalid
from player.fsutil import write_all
from player.playlist.library import MANIFEST
from player.playlist.model import Playlist
from player.usb import library, signing, voice_gate
from player.usb.copier import copy_all, hash_file
from player.usb.plan import (
    Candidate,
    Refusal,
    check_references,
    printable,
    printable_tree,
    refuse_entry,
    relative_reference,
    render_text,
    select,
)
from player.usb.status import StatusReporter
from player.usb.stick import (
    PLAYLIST_SUFFIXES,
    PLAYLISTS_DIR,
    REPORT_JSON,
    REPORT_TXT,
    SIG_SUFFIX,
    STICK_DIR,
    UnsafePath,
    open_dir,
    opened_dir,
    read_small,
    scan,
    write_atomic,
)
from player.yamlsafe import MAX_YAML_BYTES

log = logging.getLogger(__name__)

Loader = Callable[..., Playlist]
PREFIX = PLAYLISTS_DIR + "/"


def _default_loader() -> Loader:
    from player.playlist.validate import load_playlist  # the same validator as `check`

    return load_playlist


#: The import's warnings, in the order found, each once (a warning of the quick pass comes again when probing).
Warnings = dict[Refusal, None]


def _validate(loader: Loader, path: Path, name: str, probe: bool,
              warnings: Warnings) -> tuple[Playlist | None, list[Refusal]]:
    """Run the validator; each error becomes a refusal ``playlists/NAME:LINE: message``, each warning
    (may have vocals, loops, mixed sample rates...) goes into `warnings` the same way: the clinician
    reads them on the stick, where `check` on their laptop may never have been run."""
    try:
        playlist = loader(path, probe=probe)
    except (PlaylistInvalid, ValueError, OSError) as exc:
        _add_warnings(warnings, name, getattr(exc, "diagnostics", []))
        diags = [d for d in getattr(exc, "diagnostics", []) if getattr(d, "severity", "error") == "error"]
        if not diags:
            return None, [Refusal(PREFIX + name, f"invalid playlist: {exc}")]
        return None, [Refusal(f"{PREFIX}{name}:{d.line}", f"invalid playlist: {d.message}") for d in diags]
    _add_warnings(warnings, name, getattr(playlist, "diagnostics", ()))
    return playlist, []


def _add_warnings(warnings: Warnings, name: str, diagnostics) -> None:
    for d in diagnostics:
        if getattr(d, "severity", None) == "warning":
            warnings[Refusal(f"{PREFIX}{name}:{d.line}", d.message)] = None


def _by_playlist(warnings: Warnings) -> list[dict]:
    """Grouped by playlist (in name order), in line order within each (a voice beside its track's tags)."""
    def key(w: Refusal) -> tuple[str, int]:
        name, _, line = w.subject.rpartition(":")
        return (name, int(line)) if line.isdigit() else (w.subject, 0)
    ordered = sorted(warnings, key=key)
    return [{"subject": w.subject, "warning": w.reason} for w in ordered]


def _track_paths(playlist: Playlist) -> list[str]:
    return [os.fspath(t.path) for t in playlist.all_tracks]     # calmer music travels with the plan's


def _free_bytes(data_dir: Path) -> int:
    probe = data_dir
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    st = os.statvfs(probe)
    return st.f_bavail * st.f_frsize


def new_report(config: Config, root: Path, dry_run: bool) -> dict:
    """An import report that says nothing happened yet (its keys are those of ``import-report.json``)."""
    return {"time": datetime.now().astimezone().isoformat(timespec="seconds"), "room": config.room,
            "source": str(root), "dry_run": dry_run, "result": "unchanged", "summary": "", "accepted": [],
            "refusals": [], "warnings": [], "generation": None, "library": None, "files": 0, "bytes": 0}


def import_stick(root: str | os.PathLike[str], config: Config, *, dry_run: bool = False,
                 loader: Loader | None = None, status: StatusReporter | None = None,
                 session_active: Callable[[], bool] | None = None, stage_in: Path | None = None) -> dict:
    """Import the playlists on the stick mounted (or copied) at `root`.

    Args:
        root: the stick's mount point (holding ``session-player/playlists/``).
        config: limits (``usb.*``), ``data_dir`` and ``room``.
        dry_run: validate and plan only; nothing is copied or written.
        loader: the playlist validator (default `player.playlist.validate.load_playlist`).
        status: progress sink (default: the status file in ``data_dir`` and a bar on a TTY).
        session_active: asked just before the swap (default: `library.session_is_active`,
            the running daemon over its control socket).
        stage_in: the library folder, whose lock the caller (the root parent of `player.usb.child`)
            already holds: stage a generation there and stop; the report's result is then
            ``staged`` (or ``unchanged``) and its ``staging`` names the folder for `commit_staged`.

    Returns:
        the report dict (``import-report.json``): result imported/deferred/unchanged,
        accepted playlists, one refusal per line, generation.

    Raises:
        ImportRefused: `root` is not a folder.
        OSError: the stick or disk failed mid-way (stick pulled); staging is removed and
            the library is unchanged. Nothing raises once the library has switched.
    """
    root = Path(root)
    loader = loader or _default_loader()
    status = status or StatusReporter(None if dry_run else config.data_dir)
    report = new_report(config, root, dry_run)
    refusals: list[Refusal] = []
    warnings: Warnings = {}

    def finish(result: str, summary: str) -> dict:
        report.update(result=result, summary=summary,
                      refusals=[{"subject": r.subject, "reason": r.reason} for r in refusals],
                      warnings=_by_playlist(warnings))
        status.stage(result, summary)
        return printable_tree(report)  # type: ignore[return-value]

    if not root.is_dir():
        raise ImportRefused(f"{printable(str(root))} is not a folder (is the stick mounted there?)")
    status.stage("scanning", str(root))
    try:
        fd = open_dir(root, f"{STICK_DIR}/{PLAYLISTS_DIR}")
    except FileNotFoundError:
        return finish("unchanged", f"no {STICK_DIR}/{PLAYLISTS_DIR} folder on the stick; library unchanged")
    except UnsafePath as exc:
        refusals.append(Refusal(f"{STICK_DIR}/{PLAYLISTS_DIR}", str(exc)))
        return finish("unchanged", "nothing imported; library unchanged")
    try:
        active = session_active or (lambda: library.session_is_active(config))
        return _import(root, fd, config, dry_run, loader, status, active, report, refusals, warnings, finish,
                       stage_in)
    except OSError as exc:
        status.stage("failed", f"{exc}; library unchanged")
        raise
    finally:
        os.close(fd)


def _import(root: Path, fd: int, config: Config, dry_run: bool, loader: Loader, status: StatusReporter,
            session_active: Callable[[], bool], report: dict, refusals: list[Refusal], warnings: Warnings,
            finish: Callable[[str, str], dict], stage_in: Path | None) -> dict:
    usb = config.usb
    entries, complete = scan(fd, usb.max_files)
    if not complete:
        refusals.append(Refusal(f"{STICK_DIR}/{PLAYLISTS_DIR}", f"more than {usb.max_files} files "
                                "(usb.max_files) or folders nested too deep"))
        return finish("unchanged", "nothing imported; library unchanged")
    refused: dict[str, str] = {}
    for rel, entry in entries.items():
        why = refuse_entry(entry)
        if why:
            refused[rel] = why
            parts = rel.split("/")
            if not any("/".join(parts[:i]) in refused for i in range(1, len(parts))):  # one line per refused folder
                refusals.append(Refusal(PREFIX + rel, why))
    playlists_path = Path(os.path.abspath(root / STICK_DIR / PLAYLISTS_DIR))
    base = os.fspath(playlists_path)
    key = signing.load_key(usb.key_file) if usb.require_signature else None

    status.stage("validating")
    candidates, texts, sigs = [], {}, {}
    names = sorted(r for r, e in entries.items()
                   if "/" not in r and r.lower().endswith(PLAYLIST_SUFFIXES) and e.kind == "file" and r not in refused)
    for name in names:
        try:
            texts[name] = read_small(fd, name, MAX_YAML_BYTES)
        except UnsafePath as exc:
            refusals.append(Refusal(PREFIX + name, str(exc)))
            continue
        playlist, problems = _validate(loader, playlists_path / name, name, probe=False, warnings=warnings)
        if playlist is not None:
            raw = _track_paths(playlist)
            refs = [relative_reference(p, base) for p in raw]
            problems = check_references(PREFIX + name, refs, raw, entries, refused)
        if not problems and key is not None:
            sig = name + SIG_SUFFIX
            if entries.get(sig) is None or sig in refused:
                problems = [Refusal(PREFIX + name, f"unsigned: no {sig} and usb.require_signature is on")]
            else:
                sigs[name] = read_small(fd, sig, 4096)
        if problems:
            refusals.extend(problems)
            continue
        candidates.append(Candidate(name, frozenset(refs)))  # type: ignore[arg-type]

    sizes = {rel: e.size for rel, e in entries.items()}
    sel = select(candidates, sizes, max_file_bytes=usb.max_file_bytes, max_total_bytes=usb.max_total_bytes,
                 free_bytes=_free_bytes(Path(config.data_dir)), reserve_bytes=usb.reserve_bytes)
    refusals.extend(Refusal(PREFIX + r.subject, r.reason) for r in sel.refusals)
    if not sel.accepted:
        return finish("unchanged", "nothing imported; library unchanged")
    if dry_run:
        kept = _probe_gate(sel.accepted, playlists_path, loader, refusals, warnings)
        files = set().union(*(c.files for c in kept))
        hashes = {rel: hash_file(fd, rel) for rel in sorted(files)} if key is not None else {}
        kept = _check_signatures(kept, key, texts, sigs, hashes, refusals)
        kept = _listen(kept, playlists_path, loader, config, None, refusals, warnings).kept
        files = set().union(*(c.files for c in kept))
        nbytes = sum(sizes[f] for f in files)
        report.update(accepted=[PREFIX + c.name for c in kept], files=len(files), bytes=nbytes)
        return finish("unchanged", f"dry run: would import {len(kept)} playlist(s), {len(files)} files, "
                                   f"{nbytes} bytes; nothing was copied")

    held = contextlib.nullcontext(stage_in) if stage_in is not None else library.locked(config.data_dir)
    with held as lib:
        library.clean(lib)
        staging = library.new_staging(lib)
        try:
            status.totals(len(sel.files), sel.total_bytes)
            status.stage("copying", f"{len(sel.files)} files, {sel.total_bytes} bytes")
            hashes, failed = copy_all(fd, [(f, sizes[f]) for f in sorted(sel.files)], staging, status.advance)
            kept = []
            for cand in sel.accepted:
                bad = sorted(cand.files & failed.keys())
                if bad:
                    refusals.append(Refusal(PREFIX + cand.name, f"{bad[0]} could not be copied: {failed[bad[0]]}"))
                else:
                    kept.append(cand)
            status.stage("verifying", "validating the copied playlists, probing and measuring every file "
                                      "and listening for voices")
            for cand in kept:
                _write_new(staging / cand.name, texts[cand.name])
            kept = _probe_gate(kept, staging, loader, refusals, warnings)
            kept = _check_signatures(kept, key, texts, sigs, hashes, refusals)
            heard = _listen(kept, staging, loader, config, Path(config.data_dir), refusals, warnings)
            kept = heard.kept
            report["levels"] = _level_notes(kept, config)
            for name in {c.name for c in sel.accepted} - {c.name for c in kept}:
                (staging / name).unlink(missing_ok=True)
            if not kept:
                shutil.rmtree(staging)
                return finish("unchanged", "nothing imported; library unchanged")
            files = sorted(set().union(*(c.files for c in kept)))
            for rel in sel.files - set(files):
                (staging / rel).unlink(missing_ok=True)
            nbytes = sum(sizes[f] for f in files)
            manifest = {"time": report["time"], "source": report["source"], "playlists": [c.name for c in kept],
                        "files": {f: {"sha256": hashes[f], "bytes": sizes[f]} for f in files}, "bytes": nbytes,
                        "voice": {f: heard.scans[f] for f in files if f in heard.scans},
                        "refusals": [{"subject": r.subject, "reason": r.reason} for r in refusals],
                        "warnings": _by_playlist(warnings)}  # `library list` shows the import's full report
            _write_new(staging / MANIFEST, json.dumps(manifest, indent=1).encode())
            report.update(accepted=[PREFIX + c.name for c in kept], files=len(files), bytes=nbytes)
            if stage_in is not None:
                report["staging"] = staging.name
                return finish("staged", f"staged {len(kept)} playlist(s), {len(files)} files, {nbytes} bytes")
            report.update(refusals=[{"subject": r.subject, "reason": r.reason} for r in refusals],
                          warnings=_by_playlist(warnings))
            return commit_staged(lib, staging, report, session_active, status)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def commit_staged(lib: Path, staging: Path, report: dict, session_active: Callable[[], bool],
                  status: StatusReporter) -> dict:
    """Make the staged generation the library, or pending while a session runs; returns the final report.

    Call under `library.locked`. `report` already says what the staging holds (``accepted``,
    ``files``, ``bytes``, refusals and warnings); this adds the generation and the result.
    """
    defer = session_active()
    gen = library.commit(lib, staging, defer=defer)
    report.pop("staging", None)
    report.update(generation=gen, library=str(lib / ("pending" if defer else "current")))
    what = f"{len(report['accepted'])} playlist(s), {report['files']} files, {report['bytes']} bytes as {gen}"
    if defer:
        result, summary = "deferred", (f"staged {what}; a session is running, so it becomes the library "
                                       "when the session ends")
    else:
        result, summary = "imported", f"imported {what}; previous library kept for rollback"
    report.update(result=result, summary=summary)
    status.stage(result, summary)
    return printable_tree(report)  # type: ignore[return-value]


def _listen(cands: list[Candidate], folder: Path, loader: Loader, config: Config, cache_dir: Path | None,
            refusals: list[Refusal], warnings: Warnings) -> voice_gate.Heard:
    """Listen for a spoken voice (`voice_gate`); its refusals and warnings join the import's (one list each)."""
    heard = voice_gate.listen(cands, folder, loader, config.library.voice_scan, cache_dir)
    refusals.extend(heard.refusals)
    warnings.update(dict.fromkeys(Refusal(w["subject"], w["warning"]) for w in heard.warnings))
    return heard


def _check_signatures(cands: list[Candidate], key: bytes | None, texts: dict, sigs: dict, hashes: dict,
                      refusals: list[Refusal]) -> list[Candidate]:
    if key is None:
        return cands
    kept = []
    for cand in cands:
        why = signing.verify(key, sigs[cand.name], texts[cand.name], {f: hashes[f] for f in cand.files})
        if why:
            refusals.append(Refusal(PREFIX + cand.name, why))
        else:
            kept.append(cand)
    return kept


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _level_notes(kept: list[Candidate], config: Config) -> dict[str, list[str]]:
    """Per playlist, the tracks whose loudness lowers the session's level and what it costs.

    Measured here (ffmpeg, cached by content in the chair's loudness cache), so the first
    session of a new library needs no measuring; docs/audio.md, "The level model". Each
    candidate carries the playlist `_probe_gate` parsed from the staged copy: not parsed again.
    """
    lookup = lookup_for(config, spawn=spawn_lowered)   # a background job: playback first (player.background)
    notes = {}
    for cand in kept:
        playlist = cand.playlist
        found = [] if playlist is None else level_notes(playlist_tracks(playlist), config, measure=True,
                                                        lookup=lookup)
        if found:
            notes[PREFIX + cand.name] = found
    return notes


def _probe_gate(cands: list[Candidate], folder: Path, loader: Loader, refusals: list[Refusal],
                warnings: Warnings) -> list[Candidate]:
    """Validate each playlist in `folder` with probing; keep the valid ones.

    A kept candidate's files shrink to what the probed playlist really plays (globs skip
    files that are not audio, e.g. a README beside the music); it may never gain one.
    """
    kept = []
    base = os.path.abspath(folder)
    for cand in cands:
        playlist, problems = _validate(loader, Path(base) / cand.name, cand.name, probe=True, warnings=warnings)
        if playlist is not None:
            staged = {relative_reference(p, base) for p in _track_paths(playlist)}
            if not staged <= cand.files:
                problems = [Refusal(PREFIX + cand.name, "names different files once copied")]
        if problems:
            refusals.extend(problems)
        else:
            kept.append(Candidate(cand.name, frozenset(staged), playlist))  # type: ignore[arg-type]
    return kept


def write_stick_report(root: str | os.PathLike[str], report: dict) -> None:
    """Write ``import-report.txt`` and ``.json`` into the stick's ``session-player/`` folder.

    Raises:
        OSError: the stick is read-only or gone (UnsafePath if the folder is a link).
    """
    shown = printable_tree(report)
    with opened_dir(root, STICK_DIR) as fd:
        write_atomic(fd, REPORT_TXT, render_text(report).encode("utf-8"))
        write_atomic(fd, REPORT_JSON, (json.dumps(shown, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
