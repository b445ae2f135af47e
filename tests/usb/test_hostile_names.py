"""Names that are not UTF-8 anywhere on a stick, and failures after the library switched.

A stick's names are bytes; the reports must show every one escaped and still be written as
UTF-8. Once the library has switched, nothing (a pulled stick, a full one, a report that
cannot be written) may turn the import into a crash or into "the library is unchanged".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from player.cli import main
from player.commands.import_cmd import EXIT_REPORT_FAILED
from player.usb.importer import import_stick
from player.usb.runner import run_device
from tests.support.privileges import UNPRIVILEGED_USER
from tests.usb.conftest import Stick, checker_data_dir, checker_spawn, make_config


def _bytes_file(folder: Path, name: bytes, data: bytes = b"x") -> None:
    os.makedirs(os.path.join(os.fsencode(folder), *os.fsencode(name).split(b"/")[:-1]), exist_ok=True)
    with open(os.path.join(os.fsencode(folder), name), "wb") as f:
        f.write(data)


def _hostile_names(stick: Stick) -> None:
    """Non-UTF-8 bytes in a loose file, a folder, a file in the music folder, a playlist's name."""
    _bytes_file(stick.playlists, b"notes-\xff.txt")
    _bytes_file(stick.playlists, b"dir-\xfe/x.flac")
    _bytes_file(stick.playlists, b"calm/readme-\xfd.txt")
    _bytes_file(stick.playlists, b"\xfc.yaml", b"name: x\nphases: []\n")


def _config_file(tmp_path: Path, data_dir: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"room": "Room 3", "data_dir": str(data_dir), "usb": {"reserve_bytes": 0}}))
    return path


def test_non_utf8_names_anywhere_are_refused_escaped_and_the_reports_written(stick, tmp_path, data_dir, capsys):
    _hostile_names(stick)
    code = main(["import", str(stick.root), "--config", str(_config_file(tmp_path, data_dir))])
    out = capsys.readouterr().out
    assert code == 1  # refusals, no crash
    folder = stick.root / "session-player"
    text = (folder / "import-report.txt").read_text(encoding="utf-8")
    report = json.loads((folder / "import-report.json").read_text(encoding="utf-8"))
    assert report["result"] == "imported" and report["accepted"] == ["playlists/calm.yaml"]
    subjects = {r["subject"]: r["reason"] for r in report["refusals"]}
    for shown in ("playlists/notes-\\xff.txt", "playlists/dir-\\xfe", "playlists/calm/readme-\\xfd.txt",
                  "playlists/\\xfc.yaml"):
        assert subjects[shown] == "name is not valid UTF-8", subjects
        assert f"REFUSED {shown}: name is not valid UTF-8" in text
    assert out == text
    assert (data_dir / "library" / "current" / "calm.yaml").exists()
    status = json.loads((data_dir / "usb-status.json").read_text(encoding="utf-8"))
    assert status["stage"] == "imported"


def test_a_stick_mounted_at_a_non_utf8_path_is_reported_escaped(stick, tmp_path, data_dir):
    root = tmp_path / os.fsdecode(b"stick-\xff")
    os.rename(stick.root, root)
    config = make_config(data_dir)
    report = import_stick(root, config)
    assert report["result"] == "imported" and report["source"].endswith("stick-\\xff")
    json.dumps(report, ensure_ascii=False).encode("utf-8")  # writable as UTF-8
    status = json.loads((data_dir / "usb-status.json").read_text(encoding="utf-8"))  # each stage was written
    assert status["stage"] == "imported"


def test_import_of_a_missing_folder_fails_clearly(tmp_path, data_dir, capsys):
    code = main(["import", str(tmp_path / "nonexistent"), "--config", str(_config_file(tmp_path, data_dir))])
    err = capsys.readouterr().err
    assert code == 1
    assert f"session-player: error: {tmp_path / 'nonexistent'} is not a folder (is the stick mounted there?)" in err
    assert not (data_dir / "library" / "current").exists()


def test_a_report_that_cannot_be_written_after_the_switch_exits_3_not_crash(stick, tmp_path, data_dir, caplog):
    blocker = stick.root / "session-player" / "import-report.json"
    blocker.mkdir()
    (blocker / "keep").touch()  # a non-empty folder: the report's rename onto it fails
    code = main(["import", str(stick.root), "--config", str(_config_file(tmp_path, data_dir))])
    assert code == EXIT_REPORT_FAILED
    assert (data_dir / "library" / "current" / "calm.yaml").exists()  # the import itself stands
    assert any("the import finished (imported) but its report could not be written" in r.getMessage()
               for r in caplog.records)


def test_an_unwritable_status_file_does_not_stop_the_import(stick, data_dir, caplog):
    status = data_dir / "usb-status.json"
    status.mkdir(parents=True)
    (status / "keep").touch()
    report = import_stick(stick.root, make_config(data_dir))
    assert report["result"] == "imported"
    warnings = [r for r in caplog.records if "cannot write the import status" in r.getMessage()]
    assert len(warnings) == 1  # once, not once per stage or per file


needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("losetup") or not shutil.which("mkfs.ext4"),
                                reason="loop devices and mount need root")


@needs_root
def test_usb_run_with_hostile_names_and_a_failing_export_still_ends_cleanly(stick, reachable, tmp_path):
    """The checker runs as nobody (`run_device`'s user), so the data and mount folders are where it can reach."""
    data_dir = checker_data_dir(reachable)
    _hostile_names(stick)
    (stick.root / "session-player" / "EXPORT").touch()
    (stick.root / "session-player" / "reports").write_text("a file where the reports folder goes")
    from tests.support.records_factory import realistic_session

    realistic_session().write(data_dir)
    image = tmp_path / "stick.img"
    made = subprocess.run(["mkfs.ext4", "-q", "-d", str(stick.root), str(image), "32M"], capture_output=True,
                          text=True, timeout=120)
    if made.returncode != 0:
        pytest.skip(f"mkfs.ext4 -d unavailable: {made.stderr.strip()}")
    attach = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True, timeout=60)
    if attach.returncode != 0:
        pytest.skip(f"no free loop device: {attach.stderr.strip()}")
    device = attach.stdout.strip()
    try:
        report = run_device(device, make_config(data_dir), mount_root=reachable / "private",
                            user=UNPRIVILEGED_USER, spawn=checker_spawn())
    finally:
        subprocess.run(["losetup", "-d", device], capture_output=True, timeout=60)
    assert report["result"] == "imported"
    assert report["report_error"].startswith("the import finished but the stick was not written: ")
    assert (data_dir / "library" / "current" / "calm.yaml").exists()
    assert not os.path.ismount(reachable / "private" / Path(device).name)
