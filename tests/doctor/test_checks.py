"""Each doctor check against a fake machine: passing on a healthy chair, failing with a fix for each fault.

The chair is real files in tmp_path (data folder, library, loudness cache, playlist, the
package's unit file pointed at that folder); only the machine's answers are faked.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from player.config import Config, load_config
from player.doctor import CHECKS, DoctorContext, run_checks
from player.doctor.checks import (
    check_admin_group,
    check_audio_device,
    check_clock,
    check_config,
    check_data_dir,
    check_default_playlist,
    check_disk_space,
    check_ffmpeg,
    check_loudness,
    check_pin_factory,
    check_service_user,
    check_web,
)
from player.doctor.unit import parse_unit
from tests.doctor.fake_system import FakeSystem
from tests.support.audio_files import write_audio

ROOT = Path(__file__).resolve().parents[2]
PLAYLIST = "name: Calm\nphases:\n  - name: settling\n    duration: 1m\n    tracks: [calm/*.flac]\n"


def unit_for(data: Path, text: str | None = None) -> dict:
    text = text or (ROOT / "systemd" / "session-player.service").read_text()
    return parse_unit([text.replace("/var/lib/session-player", str(data))])


@pytest.fixture
def chair(tmp_path) -> DoctorContext:
    """A correctly set-up chair: data folder, an imported library with its default playlist, the unit."""
    data = tmp_path / "data"
    library = data / "library" / "current"
    write_audio(library / "calm" / "a.flac", 5.0, tags={"REPLAYGAIN_TRACK_GAIN": "-3.2 dB"})
    write_audio(library / "calm" / "b.flac", 5.0)
    (data / "loudness-cache.json").write_text(json.dumps(
        {"version": 1, "files": {"0f3a": {"loudness_lufs": -20.0, "peak_db": -3.0, "name": "b.flac"}}}))
    (library / "calm.yaml").write_text(PLAYLIST)
    config = load_config({"data_dir": str(data), "room": "Room 3",
                          "session": {"default_playlist": str(library / "calm.yaml")}})
    return DoctorContext(config, "/etc/session-player/config.yaml", None, Path("/lib/systemd/system/x.service"),
                         unit_for(data))


def with_config(ctx: DoctorContext, **sections) -> DoctorContext:
    config = ctx.config
    for name, values in sections.items():
        config = replace(config, **{name: replace(getattr(config, name), **values)}) if isinstance(values, dict) \
            else replace(config, **{name: values})
    return replace(ctx, config=config)


def test_a_healthy_chair_passes_every_check(chair):
    results = run_checks(chair, FakeSystem())
    assert [r.check for r in results] == ["config", "audio-device", "pin-factory", "service-user", "admin-group",
                                          "data-dir", "ffmpeg", "loudness", "voice-scan", "default-playlist", "clock",
                                          "disk-space", "web"]
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert len(CHECKS) == len(results)


def test_invalid_config_names_the_error(chair):
    bad = replace(chair, config_error="config.yaml:3: volume.max_db: must be between -60 and 0, got 6")
    result = check_config(bad, FakeSystem())
    assert not result.ok and "volume.max_db" in result.detail and "session-player config" in result.fix


def test_missing_config_file_passes_on_defaults_with_a_note(chair):
    result = check_config(replace(chair, config=Config()), FakeSystem())
    assert result.ok and "all defaults" in result.detail and result.fix


def test_a_hw_device_that_takes_one_stream_fails_naming_a_device_that_took_two(chair):
    system = FakeSystem(streams={"opened": 1, "error": "stream 2 cannot open: Device or resource busy (it takes "
                                 "one stream at a time)", "alternatives": [
                                     {"device": "default:CARD=Device", "ok": True, "error": None},
                                     {"device": "dmix:CARD=Device,DEV=0", "ok": True, "error": None},
                                     {"device": "sysdefault", "ok": False, "error": "cannot open"}]})
    ctx = with_config(chair, audio={"device": "hw:CARD=Device,DEV=0"})
    result = check_audio_device(ctx, system)
    assert not result.ok and "hw:CARD=Device,DEV=0" in result.detail and "one stream at a time" in result.detail
    assert result.fix.startswith("set audio.device to default:CARD=Device")
    assert "dmix:CARD=Device,DEV=0" in result.fix and "sysdefault" not in result.fix
    assert system.asked == [("two_streams", "hw:CARD=Device,DEV=0")]


def test_no_device_that_takes_two_streams_says_what_to_look_for(chair):
    system = FakeSystem(streams={"opened": 0, "error": "cannot open: No such file or directory", "alternatives": []})
    result = check_audio_device(chair, system)
    assert not result.ok and "No such file" in result.detail and "default:CARD=<name>" in result.fix


def test_fake_audio_output_fails(chair):
    result = check_audio_device(with_config(chair, audio={"output": "fake"}), FakeSystem())
    assert not result.ok and "audio.output: vlc" in result.fix


def test_pin_factory_is_tried_in_the_units_working_directory(chair):
    system = FakeSystem()
    assert check_pin_factory(chair, system).ok
    assert system.asked == [("pin_factory", "lgpio", chair.config.data_dir)]


def test_a_unit_without_working_directory_runs_in_root(chair):
    """The field failure: no WorkingDirectory= means / , read-only under ProtectSystem=strict."""
    text = (ROOT / "systemd" / "session-player.service").read_text().replace(
        "WorkingDirectory=/var/lib/session-player\n", "")
    ctx = replace(chair, unit=unit_for(chair.config.data_dir, text))
    system = FakeSystem(pins={"ok": False, "cwd": "/", "problem": "cwd-readonly",
                              "error": "cannot create a file in the working directory /: Read-only file system"})
    result = check_pin_factory(ctx, system)
    assert system.asked[-1][2] == Path("/")
    assert not result.ok and "Read-only" in result.detail and "WorkingDirectory=" in result.fix
    data = check_data_dir(ctx, FakeSystem())
    assert not data.ok and "runs in /" in data.detail and "WorkingDirectory=" in data.fix


def test_pin_factory_that_cannot_load_points_at_lgpio_and_the_gpio_group(chair):
    system = FakeSystem(pins={"ok": False, "cwd": "/var/lib/session-player", "problem": "factory",
                              "error": "cannot load the 'lgpio' GPIO pin factory (ModuleNotFoundError: lgpio)"})
    result = check_pin_factory(chair, system)
    assert not result.ok and "python3-lgpio" in result.fix and "gpio group" in result.fix


def test_missing_working_directory_is_created(chair):
    system = FakeSystem(pins={"ok": False, "cwd": "/x", "problem": "cwd-missing", "error": "does not exist"})
    assert "install -d" in check_pin_factory(chair, system).fix


def test_mock_pins_fail_and_disabled_hardware_passes(chair):
    assert not check_pin_factory(with_config(chair, hardware={"pin_factory": "mock"}), FakeSystem()).ok
    system = FakeSystem()
    assert check_pin_factory(with_config(chair, hardware={"enabled": False}), system).ok
    assert system.asked == []


def test_service_user_missing_or_without_its_groups(chair):
    assert not check_service_user(chair, FakeSystem(users={"admin"})).ok
    result = check_service_user(chair, FakeSystem(groups={"session-player": {"session-player"}}))
    assert not result.ok and "sudo adduser session-player audio" in result.fix
    assert "sudo adduser session-player gpio" in result.fix


def test_gpio_is_only_needed_where_the_group_exists(chair):
    debian = FakeSystem(groups={"session-player": {"session-player", "audio"}},
                        existing_groups={"audio", "session-player"})
    assert check_service_user(chair, debian).ok


def test_admin_outside_the_group_is_told_to_join(chair):
    result = check_admin_group(chair, FakeSystem(groups={"admin": {"admin", "sudo"}}))
    assert not result.ok and result.fix.startswith("sudo usermod -a -G session-player admin")
    assert check_admin_group(chair, FakeSystem(admin=None)).ok


def test_data_dir_missing_or_owned_by_someone_else(chair, tmp_path):
    missing = with_config(chair, data_dir=tmp_path / "nowhere")
    assert "install -d" in check_data_dir(missing, FakeSystem()).fix
    result = check_data_dir(chair, FakeSystem(default_owner="root"))
    assert not result.ok and "belongs to root" in result.detail and "chown -R" in result.fix


def test_data_dir_outside_the_units_writable_paths(chair, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = check_data_dir(with_config(chair, data_dir=elsewhere), FakeSystem())
    assert not result.ok and f"ReadWritePaths={elsewhere}" in result.fix


def test_ffmpeg_missing_or_without_ebur128(chair):
    assert check_ffmpeg(chair, FakeSystem(programs={})).fix == "sudo apt install ffmpeg"
    assert not check_ffmpeg(chair, FakeSystem(filters="")).ok


def test_loudness_counts_tagged_measured_and_unmeasured_tracks(chair):
    ok = check_loudness(chair, FakeSystem())
    assert ok.ok and "2 tracks" in ok.detail and "1 with ReplayGain/R128 tags, 1 measured" in ok.detail
    write_audio(chair.config.data_dir / "library" / "current" / "calm" / "c.flac", 5.0)
    result = check_loudness(chair, FakeSystem())
    assert not result.ok and "1 not measured yet (e.g. calm/c.flac)" in result.detail
    assert "session-player analyze" in result.fix


def test_loudness_on_a_fresh_data_dir_and_a_broken_cache(chair, tmp_path):
    assert check_loudness(with_config(chair, data_dir=tmp_path / "fresh"), FakeSystem()).ok
    (chair.config.data_dir / "loudness-cache.json").write_text("{not json")
    result = check_loudness(chair, FakeSystem())
    assert not result.ok and "unreadable" in result.detail


def test_default_playlist_unset_missing_or_invalid(chair, tmp_path):
    assert not check_default_playlist(with_config(chair, session={"default_playlist": None}), FakeSystem()).ok
    gone = check_default_playlist(with_config(chair, session={"default_playlist": tmp_path / "x.yaml"}), FakeSystem())
    assert not gone.ok and "library list" in gone.fix
    (chair.config.session.default_playlist).write_text("name: Calm\nphases: []\n")
    bad = check_default_playlist(chair, FakeSystem())
    assert not bad.ok and "session-player check" in bad.fix


def test_clock_not_synchronized_or_unknown(chair):
    result = check_clock(chair, FakeSystem(clock=(False, "timedatectl")))
    assert not result.ok and "timedatectl" in result.fix
    assert not check_clock(chair, FakeSystem(clock=(None, "neither answered"))).ok


def test_disk_space_below_an_import_plus_the_reserve(chair):
    result = check_disk_space(chair, FakeSystem(free_total=(900 * 10**6, 32 * 10**9)))
    assert not result.ok and "0.9 GB free" in result.detail


def test_web_on_every_network_passes_with_the_lan_caveat(chair):
    result = check_web(with_config(chair, web={"bind": "0.0.0.0"}), FakeSystem())
    assert result.ok and "every network" in result.detail and "network segment" in result.fix


def test_web_token_owned_by_root_fails(chair):
    chair.config.token_path.write_text("x" * 32)
    result = check_web(chair, FakeSystem(owners={chair.config.token_path: "root"}))
    assert not result.ok and "chown session-player:session-player" in result.fix


def test_a_check_that_raises_is_reported_and_the_others_still_run(chair):
    def check_boom(ctx, system):
        raise RuntimeError("boom")

    results = run_checks(chair, FakeSystem(), checks=(check_boom, check_clock))
    assert [(r.check, r.ok) for r in results] == [("boom", False), ("clock", True)]
    assert "RuntimeError: boom" in results[0].detail
