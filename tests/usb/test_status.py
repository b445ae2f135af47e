"""Progress: the status file other parts of the player read, and the bar on a terminal."""

from __future__ import annotations

import io
import json

from player.usb.importer import import_stick
from player.usb.status import StatusReporter, read_status


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_file_and_progress_bar_during_an_import(stick, config):
    tty = FakeTty()
    stages = []

    class Recording(StatusReporter):
        def stage(self, stage, message="", **extra):
            stages.append(stage)
            super().stage(stage, message, **extra)

    report = import_stick(stick.root, config, status=Recording(config.data_dir, tty=tty))
    assert stages == ["scanning", "validating", "copying", "verifying", "imported"]
    status = read_status(config.data_dir)
    assert status["stage"] == "imported" and status["bytes_done"] == status["bytes_total"] == report["bytes"]
    assert "100.0%" in tty.getvalue() and "[##############################]" in tty.getvalue()


def test_status_writes_are_throttled_but_stages_always_written(tmp_path):
    status = StatusReporter(tmp_path, tty=io.StringIO(), interval_s=3600)
    status.stage("copying")
    status.totals(1, 100)
    status.advance("a.flac", 50)
    assert json.loads((tmp_path / "usb-status.json").read_text())["bytes_done"] == 0  # throttled
    status.stage("imported")
    assert json.loads((tmp_path / "usb-status.json").read_text())["bytes_done"] == 50
    assert "\r" not in status.tty.getvalue()  # not a terminal: no bar


def test_read_status_tolerates_garbage(tmp_path):
    assert read_status(tmp_path) is None
    (tmp_path / "usb-status.json").write_text("[1]")
    assert read_status(tmp_path) is None
