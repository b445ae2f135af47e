"""StateFile against the real file system: atomic replace, skip-unchanged, crash leftovers."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

import player.fsutil as fsutil
from player.engine.statefile import StateFile
from player.fsutil import TEMP_PREFIX, atomic_write_bytes

STATE = {"session_id": "20260101-090000-room-1", "phase": "Onset", "track": "a.flac", "position_s": 12.5}


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    sf = StateFile(tmp_path / "data" / "state.json")
    assert sf.load() is None
    assert sf.save(STATE) is True
    assert StateFile(sf.path).load() == STATE
    assert not [p for p in sf.path.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_unchanged_state_is_not_rewritten(tmp_path: Path) -> None:
    sf = StateFile(tmp_path / "state.json")
    assert sf.save(STATE)
    inode = sf.path.stat().st_ino
    assert sf.save(dict(reversed(list(STATE.items())))) is False  # same content, other key order
    assert sf.path.stat().st_ino == inode
    assert sf.save({**STATE, "position_s": 13.0}) is True
    assert sf.path.stat().st_ino != inode  # replaced by rename, not rewritten in place


def test_load_primes_the_unchanged_check(tmp_path: Path) -> None:
    StateFile(tmp_path / "state.json").save(STATE)
    sf = StateFile(tmp_path / "state.json")
    assert sf.load() == STATE
    assert sf.save(STATE) is False


def test_save_fsyncs_file_and_directory_before_returning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(fsutil.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(fsutil.os, "replace", lambda a, b: (calls.append("rename"), real_replace(a, b))[1])
    StateFile(tmp_path / "state.json").save(STATE)
    # file data synced before the rename; the directory after it
    assert calls == ["fsync", "rename", "fsync"]


def test_failed_write_leaves_previous_state_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sf = StateFile(tmp_path / "state.json")
    sf.save(STATE)

    def broken_replace(a: str, b: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "replace", broken_replace)
    with pytest.raises(OSError):
        sf.save({**STATE, "phase": "Peak"})
    monkeypatch.undo()
    assert StateFile(sf.path).load() == STATE
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    assert sf.save({**STATE, "phase": "Peak"}) is True  # a failed save is retried, not skipped


def test_temp_file_left_by_a_crash_is_ignored_and_cleaned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sf = StateFile(tmp_path / "state.json")
    sf.save(STATE)
    stale = tmp_path / f"{TEMP_PREFIX}state.json.abc123"
    stale.write_bytes(b'{"session_id": "half-writ')
    with caplog.at_level(logging.INFO):
        assert StateFile(sf.path).load() == STATE
    assert not stale.exists()


def test_crash_before_first_rename_means_no_state(tmp_path: Path) -> None:
    (tmp_path / f"{TEMP_PREFIX}state.json.zz").write_bytes(json.dumps(STATE).encode())
    assert StateFile(tmp_path / "state.json").load() is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2, 3]", b"\xff\xfe", b'"text"', b"null"])
def test_bad_file_is_moved_aside_once(tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    (tmp_path / "state.json.bad-1").write_bytes(b"an earlier bad file")
    with caplog.at_level(logging.WARNING):
        assert StateFile(path).load() is None
    assert "state.json.bad-2" in caplog.text
    assert not path.exists()
    assert (tmp_path / "state.json.bad-2").read_bytes() == content
    assert (tmp_path / "state.json.bad-1").read_bytes() == b"an earlier bad file"
    caplog.clear()
    assert StateFile(path).load() is None  # not retried: nothing left to trip over
    assert caplog.text == ""


def test_clear_removes_state_and_is_idempotent(tmp_path: Path) -> None:
    sf = StateFile(tmp_path / "state.json")
    sf.save(STATE)
    sf.clear()
    sf.clear()
    assert sf.load() is None
    assert sf.save(STATE) is True  # after clear the same state must be written again


def test_non_dict_state_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        StateFile(tmp_path / "state.json").save([1, 2])  # type: ignore[arg-type]
    assert not (tmp_path / "state.json").exists()


def test_atomic_write_bytes_creates_parents_and_sets_mode(tmp_path: Path) -> None:
    target = tmp_path / "x" / "y" / "report.html"
    atomic_write_bytes(target, b"<p>hi</p>", mode=0o600)
    assert target.read_bytes() == b"<p>hi</p>"
    assert target.stat().st_mode & 0o777 == 0o600
    atomic_write_bytes(target, b"again")
    assert target.read_bytes() == b"again"
