"""What to copy from a USB stick, decided from facts alone (no I/O).

The stick is untrusted. `scan` (player/usb/stick.py) only gathers `Entry` facts with
``lstat``; everything here decides from those facts which entries are refused and why,
which playlists fit the size and space limits, and how the import report reads. Keeping
the decisions pure lets the tests walk every attack without a file system.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from player.playlist.model import Playlist

#: Longest single file or folder name accepted (ext4/vfat limit).
MAX_NAME_CHARS = 255


@dataclass(frozen=True)
class Entry:
    """One name under the stick's playlists folder, from ``lstat`` (never followed).

    Attributes:
        rel: path relative to the playlists folder, '/'-separated.
        kind: file, dir, symlink, device, fifo, socket or other.
        size: bytes (files).
        nlink: hard-link count (files).
    """

    rel: str
    kind: str
    size: int = 0
    nlink: int = 1


@dataclass(frozen=True)
class Refusal:
    """One refused thing and why: one line of the import report."""

    subject: str
    reason: str

    def __str__(self) -> str:
        return f"REFUSED {printable(self.subject)}: {self.reason}"


@dataclass(frozen=True)
class Candidate:
    """A playlist that passed validation: its name, the files it needs (rel paths), and, once
    validated with probing, the parsed playlist itself (so later steps need not parse it again)."""

    name: str
    files: frozenset[str]
    playlist: Playlist | None = field(default=None, compare=False, repr=False)


@dataclass
class Selection:
    """Playlists chosen to import, and the bytes/files that means."""

    accepted: list[Candidate] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    total_bytes: int = 0


def printable(text: str) -> str:
    """`text` with control, format and undecodable characters shown as escapes (for reports)."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def printable_tree(value: object) -> object:
    """`value` (a report: dicts, lists, strings, numbers) with every string and key `printable`.

    A name from a stick may be any bytes (shown as ``\\xff``); the JSON and text reports
    must still be writable as UTF-8 and readable on any laptop.
    """
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): printable_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_tree(v) for v in value]
    return value


def bad_name(name: str) -> str | None:
    """Why a single file/folder name is refused, or None."""
    if not name or name in (".", ".."):
        return "empty or relative name"
    if len(name) > MAX_NAME_CHARS:
        return f"name longer than {MAX_NAME_CHARS} characters"
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in name):
        return "name is not valid UTF-8"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "name contains control characters"
    return None


_KIND_REASON = {
    "symlink": "is a symbolic link; links on a stick are never followed",
    "device": "is a device file",
    "fifo": "is a FIFO (named pipe)",
    "socket": "is a socket",
    "other": "is not a regular file",
}


def refuse_entry(entry: Entry) -> str | None:
    """Why an entry found on the stick is refused, or None when it may be used."""
    why = bad_name(entry.rel.rsplit("/", 1)[-1])
    if why:
        return why
    if entry.kind in _KIND_REASON:
        return _KIND_REASON[entry.kind]
    if entry.kind == "file" and entry.nlink > 1:
        return f"is a hard link ({entry.nlink} names for one file)"
    return None


def relative_reference(target: str, base: str) -> str | None:
    """`target` (an absolute resolved path) relative to the folder `base`, or None if outside.

    Both are '/'-separated absolute paths; a target equal to `base` is outside too.
    """
    base = base.rstrip("/") + "/"
    if not target.startswith(base) or "/../" in target + "/" or "/./" in target + "/":
        return None
    rel = target[len(base):]
    return rel or None


def check_references(playlist: str, refs: Iterable[str | None], raw: Iterable[str],
                     entries: Mapping[str, Entry], refused: Mapping[str, str]) -> list[Refusal]:
    """Refusals for a playlist's references (empty = all references are safe files).

    Args:
        playlist: the playlist's name for the report.
        refs: each reference relative to the playlists folder, None when it points outside.
        raw: the same references as the validator gave them (absolute), for messages.
        entries: the scanned entries by rel path.
        refused: rel path -> reason for entries already refused.
    """
    out = []
    for rel, shown in zip(refs, raw, strict=True):
        if rel is None:
            out.append(Refusal(playlist, f"refers to {printable(shown)}, outside the stick's playlists "
                                         "folder (path traversal or absolute path)"))
            continue
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):  # a refused folder refuses everything in it
            prefix = "/".join(parts[:i])
            if prefix in refused:
                out.append(Refusal(playlist, f"refers to {printable(prefix)}, which was refused ({refused[prefix]})"))
                break
        else:
            entry = entries.get(rel)
            if entry is None:
                same_case = [e for e in entries if e.lower() == rel.lower()]
                hint = f" (the stick has {printable(same_case[0])}: letter case differs)" if same_case else ""
                out.append(Refusal(playlist, f"refers to {printable(rel)}, which is not on the stick{hint}"))
            elif entry.kind != "file":
                out.append(Refusal(playlist, f"refers to {printable(rel)}, which is not a file"))
    return out


def select(candidates: Iterable[Candidate], sizes: Mapping[str, int], *, max_file_bytes: int,
           max_total_bytes: int, free_bytes: int, reserve_bytes: int) -> Selection:
    """Accept playlists in order while every file and the running total fit the limits.

    Files shared by several playlists count once. A playlist that would push the total over
    ``max_total_bytes`` or past the free space minus ``reserve_bytes`` is refused; later,
    smaller ones may still fit.
    """
    sel = Selection()
    room = free_bytes - reserve_bytes
    for cand in candidates:
        big = sorted(f for f in cand.files if sizes[f] > max_file_bytes)
        if big:
            sel.refusals.append(Refusal(cand.name, f"{printable(big[0])} is {sizes[big[0]]} bytes, over "
                                                   f"usb.max_file_bytes ({max_file_bytes})"))
            continue
        extra = sum(sizes[f] for f in cand.files - sel.files)
        total = sel.total_bytes + extra
        if total > max_total_bytes:
            sel.refusals.append(Refusal(cand.name, f"the import would total {total} bytes, over "
                                                   f"usb.max_total_bytes ({max_total_bytes})"))
            continue
        if total > room:
            sel.refusals.append(Refusal(cand.name, f"not enough free space: needs {total} bytes, "
                                                   f"{max(free_bytes, 0)} free of which usb.reserve_bytes "
                                                   f"({reserve_bytes}) must stay free"))
            continue
        sel.accepted.append(cand)
        sel.files |= cand.files
        sel.total_bytes = total
    return sel


def warning_lines(warnings: list[Mapping]) -> list[str]:
    """``WARNING playlists/NAME:LINE: message``, one per warning, grouped by playlist."""
    return [f"WARNING {w['subject']}: {w['warning']}" for w in warnings]


def render_text(report: Mapping) -> str:
    """The human import report (``import-report.txt``) from the JSON report dict.

    Every line is `printable`: any name the stick held is shown escaped, never raw.
    """
    lines = ["session-player import report", f"time: {report['time']}", f"room: {report['room']}",
             f"result: {report['summary']}"]
    for name in report["accepted"]:
        lines.append(f"ACCEPTED {name}")
    lines.extend(f"REFUSED {r['subject']}: {r['reason']}" for r in report["refusals"])
    lines.extend(warning_lines(report.get("warnings") or []))
    lines.extend(f"LEVEL {name}: {note}" for name, notes in (report.get("levels") or {}).items() for note in notes)
    if report.get("library"):
        lines.append(f"library: {report['library']}")
    if "exported" in report:
        lines.append(f"exported: {len(report['exported'])} files to session-player/reports/")
    if report.get("report_error"):
        lines.append(f"note: {report['report_error']}")
    return "\n".join(printable(line) for line in lines) + "\n"
