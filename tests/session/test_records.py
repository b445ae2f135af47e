"""RecordKeeper when the disk refuses, as any user: a real log whose writes a switch refuses.

tests/session/test_storage_faults.py fills and remounts a real tmpfs, which needs root; these
run for every developer. What must hold: a refused record waits in memory in order and says
why; two refusals in a row keep the order and name the latest reason; a record written while
others wait goes behind them; when the disk takes writes again everything waiting is written
in order, each to its own session's log; past `max_pending` records are counted in `lost`,
and the engine shows that to staff as a fault at once and records it, so the report says so.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from player.reports.report import build_report
from player.session.engine import LOST_FAULT, STORAGE_FAULT
from player.session.eventlog import EventLog, read_events, session_log_path
from player.session.records import RecordKeeper
from tests.support.engine_log import Recorder

FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
READ_ONLY = OSError(errno.EROFS, os.strerror(errno.EROFS))


class Disk:
    """The switch every log made by `log` obeys: `refusal` set, each append raises it."""

    def __init__(self) -> None:
        self.refusal: OSError | None = None
        self.refused = 0

    def log(self, path: Path) -> EventLog:
        return _SwitchedLog(path, self)


class _SwitchedLog(EventLog):
    """The real EventLog (real file, fsync), except while its disk refuses."""

    def __init__(self, path: Path, disk: Disk) -> None:
        super().__init__(path, keep_open=False)
        self._disk = disk

    def append(self, record: dict) -> None:
        if self._disk.refusal is not None:
            self._disk.refused += 1
            raise self._disk.refusal
        super().append(record)


def record(seq: int, session: str = "s1") -> dict:
    return {"seq": seq, "time": f"2026-01-01T09:00:{seq:02d}+01:00", "elapsed_s": float(seq), "type": "marked",
            "source": "cli", "details": {"text": f"note {seq}"}, "session_id": session}


def seqs(data_dir: Path, session: str = "s1") -> list[int]:
    return [r["seq"] for r in read_events(session_log_path(data_dir, session))]


@pytest.fixture
def disk() -> Disk:
    return Disk()


def test_refused_records_wait_in_order_and_are_written_in_order(tmp_path: Path, disk: Disk) -> None:
    keeper = RecordKeeper(tmp_path, open_log=disk.log)
    keeper.open_session("s1")
    assert keeper.write(record(1)) is True and keeper.problem is None
    disk.refusal = FULL
    assert [keeper.write(record(n)) for n in (2, 3, 4)] == [False, False, False]
    assert keeper.problem == "No space left on device" and keeper.pending == 3
    assert keeper.waiting_since == record(2)["time"]
    assert keeper.retry() == 0 and keeper.pending == 3          # still full: nothing written, nothing lost
    assert seqs(tmp_path) == [1]
    disk.refusal = None
    assert keeper.retry() == 3
    assert seqs(tmp_path) == [1, 2, 3, 4]
    assert keeper.problem is None and keeper.pending == 0 and keeper.waiting_since is None and keeper.lost == 0


def test_two_refusals_in_a_row_keep_the_order_and_name_the_latest(tmp_path: Path, disk: Disk) -> None:
    keeper = RecordKeeper(tmp_path, open_log=disk.log)
    keeper.open_session("s1")
    disk.refusal = FULL
    keeper.write(record(1))
    disk.refusal = READ_ONLY                     # the card then turns read-only
    keeper.write(record(2))
    assert keeper.retry() == 0
    assert keeper.problem == "Read-only file system" and keeper.pending == 2
    disk.refusal = None
    assert keeper.write(record(3)) is True       # a new record goes behind the waiting ones, never before
    assert seqs(tmp_path) == [1, 2, 3] and keeper.problem is None


def test_records_of_a_session_that_ended_while_they_waited_go_to_its_own_log(tmp_path: Path, disk: Disk) -> None:
    keeper = RecordKeeper(tmp_path, open_log=disk.log)
    keeper.open_session("s1")
    disk.refusal = FULL
    keeper.write(record(1))
    keeper.write(record(2))
    keeper.close_session()
    keeper.write({**record(3), "session_id": None})           # between sessions: the daemon's own log
    keeper.open_session("s2")
    keeper.write(record(1, "s2"))
    disk.refusal = None
    assert keeper.retry() == 4
    assert seqs(tmp_path, "s1") == [1, 2] and seqs(tmp_path, "s2") == [1]
    assert [r["seq"] for r in read_events(tmp_path / "daemon-events.jsonl")] == [3]


def test_past_max_pending_records_are_counted_as_lost_not_dropped_silently(tmp_path: Path, disk: Disk) -> None:
    keeper = RecordKeeper(tmp_path, max_pending=3, open_log=disk.log)
    keeper.open_session("s1")
    disk.refusal = FULL
    for n in range(1, 7):
        keeper.write(record(n))
    assert keeper.pending == 3 and keeper.lost == 3
    disk.refusal = None
    assert keeper.retry() == 3
    assert seqs(tmp_path) == [1, 2, 3]          # the oldest are kept: the record has a gap at its end, not holes
    assert keeper.lost == 3                     # the count stays: the engine reports it


def test_lost_records_are_a_fault_to_staff_at_once_and_in_the_report(tmp_path: Path, disk: Disk) -> None:
    rec = Recorder(tmp_path, records=lambda data_dir: RecordKeeper(data_dir, max_pending=5, open_log=disk.log))
    try:
        session_id = rec.submit("start", "cli", playlist=str(rec.playlist))["session_id"]
        rec.run(10.0)
        disk.refusal = FULL
        statuses = [rec.submit("mark", "web", text=f"while full {n}") for n in range(8)]
        faults = statuses[-1]["faults"]
        assert STORAGE_FAULT + "No space left on device" in faults
        lost_now = [f for f in faults if f.startswith(LOST_FAULT)]
        assert len(lost_now) == 1 and int(lost_now[0].removeprefix(LOST_FAULT).split()[0]) > 0, faults
        assert "(more than 5 waited)" in lost_now[0]
        disk.refusal = None
        after = rec.submit("mark", "web", text="disk back")
        lost = [f for f in after["faults"] if f.startswith(LOST_FAULT)]
        assert len(lost) == 1 and not any(f.startswith(STORAGE_FAULT) for f in after["faults"]), after["faults"]
        rec.run(5.0)
        rec.submit("stop", "cli")
        rec.run(2.0)
    finally:
        rec.close()
    report = build_report(rec.config.data_dir, session_id)
    assert lost[0] in [f["message"] for f in report["faults"]], report["faults"]
    texts = [m["text"] for m in report["markers"]]
    assert texts[-1] == "disk back" and texts[:-1] == [t for t in texts[:-1] if t.startswith("while full")]
    assert len(texts) < 9                        # some marks were lost, and the report says how many
