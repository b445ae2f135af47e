"""The SD card fills up or turns read-only under a running daemon: a fault, never a crash.

Real file systems: a 4 MiB tmpfs filled to the last byte, then the same one remounted
read-only (root only: mount needs it; the tests say so when they skip). The daemon keeps
its socket elsewhere (the unit's /run folder, as in production). What must hold: the
engine answers every control and keeps the clock and the fades moving, status shows
"session records cannot be saved" at once, records wait in memory in order, and when the
disk takes writes again every acknowledged record is on it, in order.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from player.control import send_request
from player.daemon import Daemon
from player.engine.eventlog import read_events, session_log_path
from tests.audio.signals import pink_noise
from tests.engine.conftest import daemon_config
from tests.support.audio_sink import band_envelope

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")

FAULT = "session records cannot be saved: "


@pytest.fixture
def tiny_disk(tmp_path: Path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk refuses even one more byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 10, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


def remount(disk: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], check=True)


def wait_for(predicate, timeout_s: float = 10.0) -> bool:
    done = threading.Event()
    for _ in range(int(timeout_s / 0.05)):
        if predicate():
            return True
        done.wait(0.05)
    return predicate()


def playlist(tmp_path: Path, seconds: float = 20.0) -> Path:
    music = tmp_path / "music"
    music.mkdir(exist_ok=True)
    for name, seed in (("a", 1), ("b", 2)):
        pink_noise(music / f"{name}.flac", seconds, -21, seed=seed)
    path = tmp_path / "p.yaml"
    path.write_text("name: Faults\ncrossfade: 2s\nphases:\n  - name: onset\n    duration: 10m\n    fade_in: 8s\n"
                    "    tracks: [music/a.flac, music/b.flac]\n")
    return path


def config_on(disk: Path, tmp_path: Path, **audio) -> dict:
    return daemon_config(disk / "data", session={"socket": str(tmp_path / "control.sock")},
                         audio=audio or {"output": "fake"})


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_full_or_read_only_disk_is_a_fault_and_nothing_acknowledged_is_lost(tmp_path, tiny_disk, fault):
    with Daemon(config_on(tiny_disk, tmp_path)) as daemon:
        sock = daemon.config.socket_path
        st = send_request(sock, {"action": "start", "playlist": str(playlist(tmp_path))})
        sid = st["session_id"]
        send_request(sock, {"action": "mark", "text": "before"})
        filler = fill(tiny_disk) if fault == "full" else remount(tiny_disk, "ro")
        marks = [f"during {n}" for n in range(5)]
        answers = [send_request(sock, {"action": "mark", "text": m}) for m in marks]
        assert any(f.startswith(FAULT) for f in answers[0]["faults"])     # said, at once
        if fault == "read-only":
            assert answers[0]["records_pending"] >= 1      # (a full disk writes into the reserve first)
        assert send_request(sock, {"action": "pause"})["state"] == "paused"   # controls keep working
        assert send_request(sock, {"action": "resume"})["state"] == "playing"
        assert daemon.controller.is_running and daemon.status()["state"] == "playing"
        if fault == "full":
            filler.unlink()
        else:
            remount(tiny_disk, "rw")
        assert wait_for(lambda: daemon.status()["records_pending"] == 0
                        and not any(f.startswith(FAULT) for f in daemon.status()["faults"]), 15)
        send_request(sock, {"action": "stop"})
    events = read_events(session_log_path(tiny_disk / "data", sid))
    assert [e["details"]["text"] for e in events if e["type"] == "marked"] == ["before", *marks]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["type"] for e in events]
    for kind in ("fault", "paused", "resumed", "fault_cleared", "session_ended"):
        assert kind in kinds, kind
    assert kinds.index("fault") < kinds.index("paused") < kinds.index("fault_cleared")
    if fault == "read-only":   # what waited in memory was written when the disk came back
        assert kinds.index("paused") < kinds.index("records_recovered")


def test_a_daemon_started_on_a_read_only_disk_runs_resumes_and_shows_the_fault(tmp_path, tiny_disk):
    cfg = config_on(tiny_disk, tmp_path)
    with Daemon(cfg) as daemon:
        st = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist(tmp_path))})
    remount(tiny_disk, "ro")                           # the card turned read-only while the player was down
    with Daemon(cfg) as daemon:
        status = send_request(daemon.config.socket_path, {"action": "status"})
        assert status["state"] == "playing" and status["session_id"] == st["session_id"]   # resumed
        assert any(f == FAULT + "Read-only file system" for f in status["faults"])
        assert status["records_pending"] >= 1          # daemon_restarted, waiting for the disk
        assert send_request(daemon.config.socket_path, {"action": "mark", "text": "on ro"})["state"] == "playing"
    with contextlib.suppress(subprocess.CalledProcessError):
        remount(tiny_disk, "rw")


def test_a_fresh_daemon_on_a_full_disk_plays_the_default_playlist(tmp_path, tiny_disk):
    (tiny_disk / "data").mkdir()
    fill(tiny_disk)
    cfg = config_on(tiny_disk, tmp_path)
    cfg["session"]["default_playlist"] = str(playlist(tmp_path))
    with Daemon(cfg) as daemon:
        st = send_request(daemon.config.socket_path, {"action": "start"})   # the bedside button's start
        assert st["state"] == "playing" and any(f.startswith(FAULT) for f in st["faults"])


@pytest.mark.real_audio
def test_the_music_keeps_fading_in_and_playing_when_the_disk_fills(tmp_path, tiny_disk, audio_sink):
    """The first wave's engine died here, the fade-in frozen at -62 dB."""
    cfg = config_on(tiny_disk, tmp_path, output="vlc", device="pulse")
    cfg["volume"] = {"start_db": -20, "default_db": -20}
    recording = audio_sink.record()
    wait = threading.Event()
    try:
        with Daemon(cfg) as daemon:
            sock = daemon.config.socket_path
            send_request(sock, {"action": "start", "playlist": str(playlist(tmp_path, 12.0))})
            wait.wait(4.0)                             # pre-roll, then 2 s into the 8 s fade-in
            fill(tiny_disk)
            status = send_request(sock, {"action": "mark", "text": "disk full"})
            assert any(f.startswith(FAULT) for f in status["faults"])
            wait.wait(20.0)                            # the fade-in ends, a crossfade, the second track
            assert daemon.status()["state"] == "playing"
    finally:
        samples = recording.stop()
    levels = band_envelope(samples, 500.0).rms_db
    audible = np.nonzero(levels > -75)[0]
    assert len(audible), "nothing was heard"
    heard = levels[audible[0]:]
    peak = np.max(heard)
    rise = np.nonzero(heard > peak - 1.5)[0][0]
    assert 4 <= rise * 0.5 <= 12, "the fade-in did not reach its level"   # ~8 s fade, not frozen
    steady = heard[rise:-8]          # to the daemon's exit (its fade): no silence, no freeze at a low level
    assert len(steady) >= 20
    assert np.min(steady) > peak - 6, np.round(steady, 1)


def test_a_daemon_whose_socket_is_on_a_read_only_data_disk_starts(tmp_path, tiny_disk):
    """Manual runs and `demo` keep the socket in the data folder: a stale one there cannot be removed."""
    cfg = daemon_config(tiny_disk / "data", audio={"output": "fake"})   # no session.socket: <data_dir>/control.sock
    stale = tiny_disk / "data" / "control.sock"
    with Daemon(cfg) as daemon:
        assert daemon.config.socket_path == stale
        left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.unlink()
        left.bind(str(stale))                         # a socket file nobody serves: a crashed daemon's
        left.close()
    remount(tiny_disk, "ro")
    with Daemon(cfg) as daemon:
        status = daemon.status()
        assert status["state"] == "idle"
        assert any(f.startswith(f"control socket {stale}: Read-only file system") and "session.socket" in f
                   for f in status["faults"]), status["faults"]
    with contextlib.suppress(subprocess.CalledProcessError):
        remount(tiny_disk, "rw")
