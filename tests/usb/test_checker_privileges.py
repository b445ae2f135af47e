"""As root (as CI runs, and as the USB unit runs): the stick's checker really is the service user
with no capabilities and bounded resources, and a hostile stick read by it changes nothing.

The identity comes from the child itself (its own /proc/self/status, in its answer; and, for
the exec path, from ``/bin/sh`` exec'd through the real `exec_child`). The real Python child is
exec'd where nobody can run this interpreter, else forked (tests/support/forked_child.py).
"""

from __future__ import annotations

import os
import pwd
import resource
from pathlib import Path

import pytest

from player.usb import library
from player.usb.answer import identity_of, parse_answer
from player.usb.confined import import_confined, job_for
from player.usb.plan import render_text
from player.usb.sandbox import Account, Limits, exec_child, run_child
from tests.support.forked_child import fork_child
from tests.support.privileges import UNPRIVILEGED_USER, is_root
from tests.usb.conftest import CALM, Stick, checker_data_dir, checker_spawn, make_config, playlist_yaml, snapshot

pytestmark = pytest.mark.skipif(not is_root(), reason="dropping to another user needs root")

NOBODY = pwd.getpwnam(UNPRIVILEGED_USER)
ACCOUNT = Account.named(UNPRIVILEGED_USER)
NO_CAPS = "0000000000000000"


def assert_unprivileged(identity: dict) -> None:
    assert identity["Uid"] == f"{NOBODY.pw_uid} " * 3 + str(NOBODY.pw_uid)
    assert identity["Gid"] == f"{NOBODY.pw_gid} " * 3 + str(NOBODY.pw_gid)
    assert identity["Groups"] == ""
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"):   # root here holds CAP_SETPCAP: bounding emptied
        assert identity[cap] == NO_CAPS, cap
    assert identity["NoNewPrivs"] == "1"


@pytest.fixture
def stick(reachable: Path) -> Stick:
    s = Stick(reachable / "stick")
    s.audio("calm/a.flac", 5.0)
    s.playlist("calm.yaml", CALM)
    return s


@pytest.fixture
def config(reachable: Path):
    return make_config(checker_data_dir(reachable), max_file_bytes=1_000_000)


def test_the_real_checker_is_nobody_with_no_capabilities(stick, config):
    with library.locked(config.data_dir) as lib:
        outcome = run_child(job_for(stick.root, config, lib), ACCOUNT, Limits(), checker_spawn())
        assert outcome.failure is None, outcome.stderr
        answer = parse_answer(outcome.answer)
        library.clean(lib)
    assert_unprivileged(answer.identity)
    assert answer.report["result"] == "staged" and answer.report["accepted"] == ["playlists/calm.yaml"]


def test_an_execd_child_is_confined_the_same_way():
    """``/bin/sh`` (reachable by nobody) exec'd by the real `exec_child`: its credentials and limits."""
    limits = Limits(address_bytes=512 * 1024**2, cpu_s=77, open_files=99, file_bytes=5_000_000)
    outcome = run_child(b"", ACCOUNT, limits, exec_child(("/bin/sh", "-c", "cat /proc/self/status /proc/self/limits")))
    assert outcome.failure is None, outcome.stderr
    text = outcome.answer.decode()
    assert_unprivileged(identity_of(text))
    limit_lines = {line[:26].strip(): line[26:].split() for line in text.splitlines() if line.startswith("Max ")}
    assert limit_lines["Max address space"][:2] == [str(512 * 1024**2)] * 2
    assert limit_lines["Max cpu time"][:2] == ["77", "77"]
    assert limit_lines["Max open files"][:2] == ["99", "99"]
    assert limit_lines["Max file size"][:2] == ["5000000", "5000000"]
    assert limit_lines["Max core file size"][:2] == ["0", "0"]


def test_a_forked_child_cannot_get_root_back():
    def try_root() -> int:
        for attempt in (lambda: os.setuid(0), lambda: os.seteuid(0), lambda: os.setgroups([0])):
            try:
                attempt()
            except PermissionError:
                continue
            os.write(1, b"regained")
            return 0
        os.write(1, f"{resource.getrlimit(resource.RLIMIT_NOFILE)[0]}".encode())
        return 0

    outcome = run_child(b"", ACCOUNT, Limits(open_files=64), fork_child(try_root))
    assert outcome.failure is None and outcome.answer == b"64"


def test_root_never_runs_the_checker_as_itself():
    with pytest.raises(ValueError, match="must not run as root"):
        run_child(b"", None)


def test_a_hostile_stick_read_by_the_checker_changes_nothing(stick, config, reachable):
    """YAML bomb, a huge file, a symlink loop, path traversal (.., absolute, a link off the stick)."""
    outside = reachable / "outside"
    outside.mkdir()
    (outside / "secret.flac").write_bytes((stick.playlists / "calm" / "a.flac").read_bytes())
    os.chmod(outside / "secret.flac", 0o644)
    (stick.playlists / "calm.yaml").unlink()
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    stick.playlist("bomb.yaml", bomb)
    stick.playlist("deep.yaml", "[" * 40_000 + "]" * 40_000)
    with open(stick.playlists / "huge.flac", "wb") as f:
        f.truncate(64 * 1024**2)           # sparse, 64 times usb.max_file_bytes
    stick.playlist("huge.yaml", playlist_yaml("huge.flac"))
    os.symlink("loop-b", stick.playlists / "loop-a")
    os.symlink("loop-a", stick.playlists / "loop-b")
    stick.playlist("loop.yaml", playlist_yaml("loop-a/x.flac"))
    stick.playlist("dotdot.yaml", playlist_yaml("../../outside/secret.flac"))
    stick.playlist("absolute.yaml", playlist_yaml(str(outside / "secret.flac")))
    os.symlink(outside, stick.playlists / "off")
    stick.playlist("link.yaml", playlist_yaml("off/secret.flac"))
    before = snapshot(reachable, exclude=config.data_dir)

    report = import_confined(stick.root, config, account=ACCOUNT, spawn=checker_spawn(),
                             session_active=lambda: False)

    assert snapshot(reachable, exclude=config.data_dir) == before, "something outside the data dir changed"
    text = render_text(report)
    assert report["result"] == "unchanged" and report["accepted"] == [], text
    refused = {r["subject"].split(":")[0] for r in report["refusals"]}
    assert {"playlists/bomb.yaml", "playlists/deep.yaml", "playlists/huge.yaml", "playlists/loop.yaml",
            "playlists/dotdot.yaml", "playlists/absolute.yaml", "playlists/link.yaml"} <= refused, text
    lib = config.data_dir / "library"
    assert sorted(p.name for p in lib.iterdir()) == [".lock"]
