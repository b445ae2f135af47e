"""EventLog against the real file system: fsync before append returns, torn lines, reopen."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.session import eventlog
from player.session.eventlog import EventLog, encode_record, read_events, scan_events


def _record(seq: int, **extra: object) -> dict:
    return {"seq": seq, "time": "2026-01-01T09:00:00+01:00", "elapsed_s": float(seq), "type": "marked",
            "source": "cli", "details": {"text": f"note {seq}", **extra}, "session_id": "s1"}


def test_append_writes_one_line_per_record_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "s1" / "events.jsonl"
    records = [_record(1), _record(2, text="BP 128/82 — ok\u2028line sep"), _record(3, text="multi\nline")]
    with EventLog(path) as log:
        for r in records:
            log.append(r)
    raw = path.read_bytes()
    assert raw.count(b"\n") == 3 and raw.endswith(b"\n")
    assert "—".encode() in raw  # ensure_ascii=False: readable UTF-8
    assert read_events(path) == records


def test_fsync_happens_before_append_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "events.jsonl"
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        real_fsync(fd)
        synced.append(os.fstat(fd).st_size)

    monkeypatch.setattr(eventlog.os, "fsync", counting_fsync)
    log = EventLog(path)
    log.append(_record(1))
    size_after_first = path.stat().st_size
    assert size_after_first in synced  # the file was fsync'd holding the whole record
    count = len(synced)
    log.append(_record(2))
    assert len(synced) == count + 1 and synced[-1] == path.stat().st_size
    log.close()


def test_creation_fsyncs_the_new_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced_dirs: list[Path] = []
    import player.fsutil as fsutil
    real = fsutil.fsync_dir

    def spy(p: os.PathLike[str]) -> None:
        synced_dirs.append(Path(p))
        real(p)

    monkeypatch.setattr(fsutil, "fsync_dir", spy)
    monkeypatch.setattr(eventlog, "fsync_dir", spy)
    with EventLog(tmp_path / "a" / "b" / "events.jsonl") as log:
        log.append(_record(1))
    assert {tmp_path, tmp_path / "a", tmp_path / "a" / "b"} <= set(synced_dirs)


def test_file_is_opened_with_o_append(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flags_seen: list[int] = []
    real_open = os.open

    def spy(path: object, flags: int, *args: object) -> int:
        flags_seen.append(flags)
        return real_open(path, flags, *args)

    monkeypatch.setattr(eventlog.os, "open", spy)
    with EventLog(tmp_path / "events.jsonl") as log:
        log.append(_record(1))
    assert any(f & os.O_APPEND for f in flags_seen)


def test_constructor_does_no_io_and_close_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "never" / "events.jsonl"
    log = EventLog(path)
    assert not path.parent.exists()
    log.close()
    log.close()
    with pytest.raises(RuntimeError, match="closed"):
        log.append(_record(1))
    assert "closed" in repr(log)


def test_bad_records_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.append(_record(1))
        with pytest.raises(TypeError):
            log.append(["not", "a", "dict"])  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            log.append({"details": object()})
        with pytest.raises(ValueError):
            log.append({"elapsed_s": float("nan")})
        log.append({"path": Path("/x/y.flac")})
    assert read_events(path) == [_record(1), {"path": "/x/y.flac"}]


def test_torn_last_line_at_every_byte_offset(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Power loss mid-write: cut the last record at each byte, reread, reopen, append."""
    good = [_record(1), _record(2, text="ünïcødé ✓")]
    torn_line = encode_record(_record(3, text="the one being written ✓"))
    prefix = b"".join(encode_record(r) for r in good)
    path = tmp_path / "events.jsonl"
    for cut in range(1, len(torn_line)):
        path.write_bytes(prefix + torn_line[:cut])
        events, problems = scan_events(path)
        whole_json = cut == len(torn_line) - 1  # only the newline was lost
        assert events == (good + [_record(3, text="the one being written ✓")] if whole_json else good), cut
        assert len(problems) == (0 if whole_json else 1)
        with EventLog(path) as log:
            log.append(_record(4))
        events = read_events(path)
        assert events[:2] == good and events[-1] == _record(4), cut
        assert path.read_bytes().endswith(b"\n")


def test_corrupt_line_in_the_middle_is_named_and_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(encode_record(_record(1)) + b'{"seq": 2, "ty\n' + b"[1, 2]\n\n" + b"\xff\xfe\n"
                     + encode_record(_record(5)))
    with caplog.at_level(logging.WARNING):
        events = read_events(path)
    assert events == [_record(1), _record(5)]
    assert f"{path}:2: not valid JSON" in caplog.text
    assert f"{path}:3: not a JSON object" in caplog.text
    assert f"{path}:5: not valid JSON" in caplog.text


def test_reopening_a_clean_log_adds_no_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.append(_record(1))
    with EventLog(path) as log:
        log.append(_record(2))
    assert path.read_bytes() == encode_record(_record(1)) + encode_record(_record(2))
    assert [json.loads(line) for line in path.read_text().splitlines()] == [_record(1), _record(2)]


def test_missing_log_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_events(tmp_path / "nope.jsonl")


_SHORT_WRITE = """
import json, resource, signal, sys
from {module} import EventLog
path, limit, keep_open = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
first, second, third = (json.loads(a) for a in sys.argv[4:7])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # the kernel then answers EFBIG instead of killing
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
log = EventLog(path, keep_open=keep_open)
log.append(first)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
try:
    log.append(second)
except OSError as exc:
    print("refused", exc.errno)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
log.append(third)
log.close()
"""


@pytest.mark.parametrize("keep_open", [True, False], ids=["kept-open", "opened-per-append"])
def test_a_write_refused_half_way_is_cut_back_so_the_next_record_reads_back(tmp_path: Path, keep_open: bool) -> None:
    """A real short write, as any user: RLIMIT_FSIZE lets the kernel write the record up to the
    limit and then refuse (EFBIG), as a card filling up in the middle of a line does. The
    fragment must come back off the file; else the next acknowledged record is glued onto it
    and lost on read-back."""
    path = tmp_path / "events.jsonl"
    first, second, third = _record(1), _record(2, text="cut in the middle " * 4), _record(3)
    limit = len(encode_record(first)) + len(encode_record(second)) // 2
    script = _SHORT_WRITE.format(module=EventLog.__module__)
    done = subprocess.run([sys.executable, "-c", script, str(path), str(limit), "1" if keep_open else "0",
                           *(json.dumps(r) for r in (first, second, third))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", str(errno.EFBIG)], done.stdout  # the limit stopped it half-way
    events, problems = scan_events(path)
    assert [r["seq"] for r in events] == [1, 3], path.read_bytes()
    assert problems == []          # the fragment was taken back: nothing torn is left in the file
