"""The stick changes under the copy: a file swapped for a link, grown, shrunk, rewritten or
removed between the scan and the copy, or during it. Each race is driven deterministically
through the import's own status hooks (``stage("copying")`` runs just before the copy,
``advance`` after each chunk), and each must refuse the playlist with a line that says what
happened, copy nothing of the changed file, and leave the library exactly as it was."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from player.background import IOPRIO_CLASS_IDLE, NICE, io_class
from player.usb import copier
from player.usb.importer import import_stick
from player.usb.plan import render_text
from player.usb.status import StatusReporter
from player.usb.stick import open_dir
from tests.usb.conftest import snapshot

TARGET = "calm/b.flac"
CHUNK = 32  # bytes per read: the silent test FLAC is ~220 bytes


class Saboteur(StatusReporter):
    """The import's status sink, which also changes the stick at one chosen moment."""

    def __init__(self, data_dir: Path, *, before_copy: Callable[[], None] | None = None,
                 after_first_chunk: Callable[[], None] | None = None) -> None:
        super().__init__(data_dir)
        self.before_copy = before_copy
        self.after_first_chunk = after_first_chunk
        self.fired = False

    def stage(self, stage: str, message: str = "", **extra: object) -> None:
        super().stage(stage, message, **extra)
        if stage == "copying" and self.before_copy:
            self.before_copy()
            self.fired = True

    def advance(self, rel: str, nbytes: int) -> None:
        super().advance(rel, nbytes)
        if rel == TARGET and self.after_first_chunk and not self.fired:
            self.after_first_chunk()
            self.fired = True


@pytest.fixture
def imported(stick, config, monkeypatch):
    """The stick imported once (gen-000001); small chunks so a copy takes several reads."""
    import_stick(stick.root, config)
    monkeypatch.setattr(copier, "CHUNK", CHUNK)
    assert (stick.playlists / TARGET).stat().st_size > 4 * CHUNK
    return stick


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.flac"
    path.parent.mkdir()
    path.write_bytes(b"not for the stick " * 4096)
    return path


def reimport(stick, config, saboteur: Saboteur) -> tuple[dict, str]:
    """Import again while `saboteur` strikes; the library must come out exactly as it went in."""
    library = config.data_dir / "library"
    before = snapshot(library)
    report = import_stick(stick.root, config, status=saboteur)
    assert saboteur.fired, "the race was not driven"
    assert snapshot(library) == before, "the library changed"
    assert os.readlink(library / "current") == "gen-000001"
    assert report["result"] == "unchanged" and report["accepted"] == []
    return report, render_text(report)


def swap_for_link(path: Path, to: Path) -> None:
    tmp = path.with_name(".swap")
    os.symlink(to, tmp)
    os.replace(tmp, path)


def test_file_swapped_for_a_link_before_the_copy_is_refused(imported, config, secret):
    target = imported.playlists / TARGET
    _, text = reimport(imported, config, Saboteur(config.data_dir, before_copy=lambda: swap_for_link(target, secret)))
    assert f"REFUSED playlists/calm.yaml: {TARGET} could not be copied: '{TARGET}' is a symbolic link" in text


def test_file_swapped_for_a_link_during_the_copy_is_refused(imported, config, secret):
    target = imported.playlists / TARGET
    _, text = reimport(imported, config,
                       Saboteur(config.data_dir, after_first_chunk=lambda: swap_for_link(target, secret)))
    assert (f"REFUSED playlists/calm.yaml: {TARGET} could not be copied: '{TARGET}' was replaced while it was "
            "copied (now symlink)") in text


def test_file_that_grows_during_the_copy_is_refused(imported, config):
    target = imported.playlists / TARGET
    size = target.stat().st_size

    def grow() -> None:
        with target.open("ab") as f:
            f.write(b"\0" * 10)

    _, text = reimport(imported, config, Saboteur(config.data_dir, after_first_chunk=grow))
    assert f"{TARGET} could not be copied: {TARGET} grew while it was copied (past the {size} bytes scanned)" in text


def test_file_that_shrinks_during_the_copy_is_refused(imported, config):
    target = imported.playlists / TARGET
    size = target.stat().st_size
    _, text = reimport(imported, config,
                       Saboteur(config.data_dir, after_first_chunk=lambda: os.truncate(target, 2 * CHUNK)))
    assert f"{TARGET} shrank while it was copied ({2 * CHUNK} of the {size} bytes scanned)" in text


def test_file_rewritten_in_place_during_the_copy_is_refused(imported, config):
    """Same size, new bytes in the part already copied: only the file's times tell."""
    target = imported.playlists / TARGET
    size = target.stat().st_size

    def rewrite() -> None:
        with target.open("r+b") as f:
            f.write(b"\xff" * CHUNK)
        st = target.stat()
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # whatever the clock's grain

    _, text = reimport(imported, config, Saboteur(config.data_dir, after_first_chunk=rewrite))
    assert f"{TARGET} could not be copied: {TARGET} changed while it was copied ({size} bytes then, {size} now)" in text


@pytest.mark.parametrize("change", ["grow", "shrink"])
def test_file_resized_between_the_scan_and_the_copy_is_refused(imported, config, change):
    target = imported.playlists / TARGET
    size = target.stat().st_size
    new = size + 1 if change == "grow" else size - 1

    _, text = reimport(imported, config, Saboteur(config.data_dir, before_copy=lambda: os.truncate(target, new)))
    assert (f"{TARGET} could not be copied: {TARGET} changed after the stick was scanned ({size} bytes then, "
            f"{new} now)") in text


def test_file_removed_between_the_scan_and_the_copy_is_refused(imported, config):
    target = imported.playlists / TARGET
    _, text = reimport(imported, config, Saboteur(config.data_dir, before_copy=target.unlink))
    assert f"{TARGET} could not be copied: {TARGET} vanished after the stick was scanned" in text


def test_an_unchanged_stick_still_imports_with_small_chunks(imported, config):
    """The checks refuse only a change: the same stick imports again as a new generation."""
    report = import_stick(imported.root, config)
    assert report["result"] == "imported" and report["generation"] == "gen-000002"


def test_the_copy_threads_run_at_the_lowest_cpu_and_io_priority(tmp_path):
    """Playback first: a USB import beside a session copies at nice 19, SCHED_IDLE, I/O class idle."""
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "a.flac").write_bytes(b"x" * 4096)
    seen = []

    def progress(rel, n):
        tid = threading.get_native_id()
        seen.append((os.getpriority(os.PRIO_PROCESS, tid), os.sched_getscheduler(tid), io_class(tid)))

    root = open_dir(str(stick))
    try:
        hashes, failed = copier.copy_all(root, [("a.flac", 4096)], tmp_path / "staging", progress)
    finally:
        os.close(root)
    assert failed == {} and "a.flac" in hashes
    assert seen and set(seen) == {(NICE, os.SCHED_IDLE, IOPRIO_CLASS_IDLE)}
