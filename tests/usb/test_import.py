"""Import on real files: library generations, verification, dry run, rollback, deferral, reports."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from player.cli import main
from player.errors import ImportRefused
from player.playlist.validate import load_playlist
from player.usb import apply_pending, generations, recover_library, rollback, session_is_active
from player.usb.importer import import_stick, write_stick_report
from player.usb.stick import UnsafePath
from tests.usb.conftest import make_config, playlist_yaml, snapshot


def current(config) -> Path:
    return config.data_dir / "library" / "current"


def test_import_copies_only_referenced_files_verified_by_hash(stick, config):
    (stick.playlists / "calm" / "notes.txt").write_text("not audio, matched by nothing")
    stick.audio("unused/x.flac")
    report = import_stick(stick.root, config)
    assert report["result"] == "imported" and report["refusals"] == []
    lib = current(config)
    assert sorted(str(p.relative_to(lib)) for p in lib.rglob("*") if p.is_file()) == [
        ".import.json", "calm.yaml", "calm/a.flac", "calm/b.flac"]
    manifest = json.loads((lib / ".import.json").read_text())
    for rel, meta in manifest["files"].items():
        assert hashlib.sha256((lib / rel).read_bytes()).hexdigest() == meta["sha256"]
        assert (lib / rel).read_bytes() == (stick.playlists / rel).read_bytes()
    playlist = load_playlist(lib / "calm.yaml")  # the imported playlist is valid where it landed
    assert [t.path.name for t in playlist.phases[0].tracks] == ["a.flac", "b.flac"]
    assert json.loads((config.data_dir / "usb-status.json").read_text())["stage"] == "imported"


def test_glob_skips_non_audio_beside_the_music(stick, config):
    (stick.playlists / "calm" / "readme.flac.txt").write_text("x")
    stick.playlist("all.yaml", playlist_yaml("calm/*"))
    (stick.playlists / "calm" / "cover.jpg").write_bytes(b"\xff\xd8\xff not audio")
    report = import_stick(stick.root, config)
    assert report["result"] == "imported" and sorted(report["accepted"]) == ["playlists/all.yaml",
                                                                              "playlists/calm.yaml"]
    assert not (current(config) / "calm" / "cover.jpg").exists()


def test_reimport_keeps_previous_generation_and_rollback_swaps(stick, config):
    import_stick(stick.root, config)
    stick.audio("calm/c.flac", 7.0)
    import_stick(stick.root, config)
    rows = {r["name"]: r["links"] for r in generations(config.data_dir)}
    assert rows == {"gen-000002": ["current"], "gen-000001": ["previous"]}
    assert (current(config) / "calm" / "c.flac").exists()
    assert rollback(config) == "gen-000001"
    assert not (current(config) / "calm" / "c.flac").exists()
    assert rollback(config) == "gen-000002"  # a second rollback undoes the first
    stick.audio("calm/d.flac", 8.0)
    import_stick(stick.root, config)  # the oldest generation goes; two stay
    assert sorted(r["name"] for r in generations(config.data_dir)) == ["gen-000002", "gen-000003"]


def test_rollback_without_previous_is_refused(stick, config):
    import_stick(stick.root, config)
    with pytest.raises(ImportRefused, match="no previous"):
        rollback(config)


def test_dry_run_writes_nothing(stick, config, tmp_path):
    before = snapshot(tmp_path)
    report = import_stick(stick.root, config, dry_run=True)
    assert snapshot(tmp_path) == before and not config.data_dir.exists()
    assert report["accepted"] == ["playlists/calm.yaml"] and "dry run: would import 1" in report["summary"]


def test_session_is_active_asks_the_daemon_else_reads_the_file_it_publishes(data_dir):
    config = make_config(data_dir)
    assert session_is_active(config) is False              # no daemon, nothing cut short
    data_dir.mkdir()
    (data_dir / "session-active.json").write_text(json.dumps({"session_id": "s", "playlist_path": "/x.yaml"}))
    assert session_is_active(config) is True               # a session cut short will resume: defer


def test_import_during_a_session_is_deferred_then_applied(stick, config):
    import_stick(stick.root, config)
    playing = load_playlist(current(config) / "calm.yaml")
    stick.audio("calm/c.flac", 7.0)
    report = import_stick(stick.root, config, session_active=lambda: True)
    assert report["result"] == "deferred" and "session is running" in report["summary"]
    assert os.readlink(current(config)) == "gen-000001"
    assert os.readlink(config.data_dir / "library" / "pending") == "gen-000002"
    assert all(t.path.exists() for t in playing.phases[0].tracks)  # the running session keeps its files
    with pytest.raises(ImportRefused, match="session is running"):
        rollback(config, session_active=lambda: True)
    assert apply_pending(config) == "gen-000002"
    assert os.readlink(current(config)) == "gen-000002"
    assert not (config.data_dir / "library" / "pending").exists()
    assert apply_pending(config) is None
    assert all(t.path.exists() for t in playing.phases[0].tracks)  # old generation kept as previous


def test_stale_staging_is_cleaned(stick, config):
    import_stick(stick.root, config)
    lib = config.data_dir / "library"
    (lib / ".staging-999-dead").mkdir()
    (lib / ".staging-999-dead" / "half.flac").write_bytes(b"x" * 10)
    (lib / "gen-000009").mkdir()  # renamed into place, crash before the link flip
    assert sorted(recover_library(config.data_dir)) == [".staging-999-dead", "gen-000009"]
    assert os.readlink(lib / "current") == "gen-000001"


def test_no_valid_playlist_leaves_library_unchanged(stick, config):
    import_stick(stick.root, config)
    (stick.playlists / "calm.yaml").write_text("name: [broken\n")
    report = import_stick(stick.root, config)
    assert report["result"] == "unchanged" and os.readlink(current(config)) == "gen-000001"


def test_stick_without_player_folder(tmp_path, config):
    report = import_stick(tmp_path, config)
    assert report["result"] == "unchanged" and "no session-player/playlists" in report["summary"]


def test_report_written_to_stick_and_never_through_a_link(stick, config, tmp_path):
    report = import_stick(stick.root, config)
    write_stick_report(stick.root, report)
    text = (stick.root / "session-player" / "import-report.txt").read_text()
    assert "ACCEPTED playlists/calm.yaml" in text
    assert json.loads((stick.root / "session-player" / "import-report.json").read_text())["result"] == "imported"
    # a planted link named like the report is replaced, not followed
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    os.unlink(stick.root / "session-player" / "import-report.txt")
    os.symlink(victim, stick.root / "session-player" / "import-report.txt")
    write_stick_report(stick.root, report)
    assert victim.read_text() == "keep"
    # a stick folder that is a link is refused
    evil = tmp_path / "evil"
    evil.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, evil / "session-player")
    with pytest.raises(UnsafePath):
        write_stick_report(evil, report)
    assert list(outside.iterdir()) == []


def test_import_command_exit_codes_and_report(stick, data_dir, tmp_path, capsys):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"data_dir: {data_dir}\nusb:\n  reserve_bytes: 0\n")
    assert main(["import", str(stick.root), "--config", str(cfg)]) == 0
    assert "ACCEPTED playlists/calm.yaml" in capsys.readouterr().out
    assert (stick.root / "session-player" / "import-report.txt").exists()
    stick.playlist("bad.yaml", "name: x\n")
    assert main(["import", str(stick.root), "--dry-run", "--config", str(cfg)]) == 1
    assert "REFUSED playlists/bad.yaml" in capsys.readouterr().out
    assert main(["library", "list", "--config", str(cfg)]) == 0
    assert "gen-000001  current" in capsys.readouterr().out
    assert main(["library", "rollback", "--config", str(cfg)]) == 1
    assert "no previous library generation" in capsys.readouterr().err


def test_config_limits_come_from_config(stick, data_dir):
    config = make_config(data_dir, max_files=3)
    report = import_stick(stick.root, config)
    assert report["result"] == "unchanged"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root (the USB unit) hands files to the daemon's user")
def test_root_import_gives_the_library_to_the_data_dir_owner(stick, config):
    config.data_dir.mkdir()
    os.chown(config.data_dir, 4321, 4321)
    import_stick(stick.root, config)
    lib = config.data_dir / "library"
    owners = {p.lstat().st_uid for p in [lib, lib / ".lock", *lib.rglob("*")] if not p.is_symlink()}
    assert owners == {4321}


def test_stick_pulled_mid_copy_leaves_library_and_says_so(stick, config, monkeypatch, tmp_path, capsys):
    import errno

    from player.usb import copier

    import_stick(stick.root, config)
    stick.audio("calm/c.flac", 7.0)
    real = copier.copy_one

    def pulled(root_fd, rel, dest, size, progress=None):
        if rel == "calm/c.flac":
            raise OSError(errno.EIO, "Input/output error")
        return real(root_fd, rel, dest, size, progress)

    monkeypatch.setattr(copier, "copy_one", pulled)
    with pytest.raises(OSError):
        import_stick(stick.root, config)
    lib = config.data_dir / "library"
    assert os.readlink(lib / "current") == "gen-000001"
    assert not [p for p in lib.iterdir() if p.name.startswith(".staging-")]
    assert json.loads((config.data_dir / "usb-status.json").read_text())["stage"] == "failed"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"data_dir: {config.data_dir}\nusb:\n  reserve_bytes: 0\n")
    assert main(["import", str(stick.root), "--config", str(cfg)]) == 1
    assert "the library is unchanged" in capsys.readouterr().err


def test_every_error_and_warning_reaches_the_stick_report_and_library_list(stick, config, tmp_path, capsys):
    """As found: "may have vocals", loop and mixed-rate warnings reached only a laptop that ran `check`."""
    from tests.support.audio_files import write_audio

    write_audio(stick.playlists / "v" / "song.flac", 5.0, tags={"LYRICS": "la la"})
    write_audio(stick.playlists / "v" / "hi.flac", 5.0, rate=44100)
    stick.playlist("vocal.yaml", playlist_yaml("v/song.flac", "v/hi.flac", name="Vocal"))
    stick.playlist("broken.yaml", playlist_yaml("calm/a.flac", "gone1.flac", "gone2.flac", name="Broken"))
    report = import_stick(stick.root, config)
    write_stick_report(stick.root, report)
    text = (stick.root / "session-player" / "import-report.txt").read_text()
    assert "REFUSED playlists/broken.yaml:8: invalid playlist: file not found: gone1.flac" in text
    assert "REFUSED playlists/broken.yaml:9: invalid playlist: file not found: gone2.flac" in text
    warnings = [w for w in text.splitlines() if w.startswith("WARNING playlists/vocal.yaml:")]
    assert any("may have vocals or lyrics" in w for w in warnings), text
    assert any("they will loop" in w for w in warnings) and any("mixed sample rates" in w for w in warnings)
    shown = json.loads((stick.root / "session-player" / "import-report.json").read_text())["warnings"]
    subjects = [w["subject"].rpartition(":")[0] for w in shown]
    assert subjects == sorted(subjects) and "playlists/vocal.yaml" in subjects  # grouped per playlist
    assert len(set(map(str, shown))) == len(shown)  # each once, though the import validates twice

    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"data_dir: {config.data_dir}\nusb:\n  reserve_bytes: 0\n")
    assert main(["library", "list", "--config", str(config_file)]) == 0
    listed = capsys.readouterr().out
    assert "    REFUSED playlists/broken.yaml:9: invalid playlist: file not found: gone2.flac" in listed
    assert sum(line.startswith("    WARNING playlists/vocal.yaml:") for line in listed.splitlines()) == len(warnings)
