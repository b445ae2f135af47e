"""The doctor's probes on the real machine: libasound on the virtual sound card, the worker child
process, a read-only working directory, the unit file parser on the package's unit."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from player.audio.alsa import Alsa, PcmDevice, alternatives
from player.config import load_config
from player.doctor import DoctorContext, System
from player.doctor.checks import check_audio_device, check_pin_factory
from player.doctor.unit import parse_unit, working_directory, writable_paths

ROOT = Path(__file__).resolve().parents[2]
ME = pwd.getpwuid(os.geteuid()).pw_name


def me_system() -> System:
    """The real System, its probes run as whoever runs the tests (no runuser)."""
    return System(service_user=ME)


def context(tmp_path: Path, **config) -> DoctorContext:
    return DoctorContext(load_config({"data_dir": str(tmp_path), **config}), "test.yaml")


def test_the_virtual_sound_card_takes_two_streams_and_more(audio_sink):
    alsa = Alsa()
    assert alsa.open_streams("pulse").ok
    assert alsa.open_streams("pulse", 4).opened == 4
    assert "pulse" in [d.name for d in alsa.playback_devices()]


def test_a_missing_device_opens_nothing_and_says_why():
    probe = Alsa().open_streams("hw:CARD=NoSuchCard,DEV=0")
    assert not probe.ok and probe.opened == 0 and probe.error.startswith("cannot open")


def test_audio_check_passes_on_the_virtual_sound_card_through_the_worker(audio_sink, tmp_path):
    result = check_audio_device(context(tmp_path, audio={"device": "pulse"}), me_system())
    assert result.ok, result
    assert "took two streams at once" in result.detail and f"as {ME}" in result.detail


def test_a_missing_card_fails_and_the_fix_names_a_device_that_really_took_two(audio_sink, tmp_path):
    result = check_audio_device(context(tmp_path, audio={"device": "hw:CARD=NoSuchCard,DEV=0"}), me_system())
    assert not result.ok and "cannot open" in result.detail
    assert "pulse" in result.fix and result.fix.startswith("set audio.device to ")


def test_devices_lists_the_virtual_card_as_taking_two_streams(audio_sink):
    rows = {row["device"]: row for row in me_system().playback_devices()["devices"]}
    assert rows["pulse"]["two_streams"] is True


def test_pin_factory_in_a_writable_working_directory_loads(tmp_path):
    result = check_pin_factory(context(tmp_path, hardware={"pin_factory": "mock"}), me_system())
    assert "the working directory is writable and the mock factory loads" in result.detail


def _read_only_dir(tmp_path: Path):
    target = tmp_path / "ro"
    target.mkdir()
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a read-only tmpfs: {done.stderr.decode().strip()}")
    else:
        target.chmod(0o555)
    return target


def test_pin_factory_in_a_read_only_working_directory_fails_like_lgpio_would(tmp_path):
    """gpiozero issue 1106: the service's working directory must take lgpio's notification pipe."""
    ro = _read_only_dir(tmp_path)
    try:
        result = me_system().pin_factory("mock", ro)
    finally:
        if os.path.ismount(ro):
            subprocess.run(["umount", str(ro)], check=True)
    assert result["ok"] is False and result["problem"] == "cwd-readonly"
    assert "Read-only file system" in result["error"] or "Permission denied" in result["error"]


def test_the_packages_unit_runs_in_the_state_directory_it_may_write():
    settings = parse_unit([(ROOT / "systemd" / "session-player.service").read_text()])
    cwd = working_directory(settings, Path("/"))
    assert cwd == Path("/var/lib/session-player")
    assert cwd in writable_paths(settings)


def test_drop_ins_replace_single_settings_and_add_to_lists():
    settings = parse_unit(["[Service]\nWorkingDirectory=/var/lib/session-player\nReadWritePaths=/var/lib/a\n",
                           "[Service]\nWorkingDirectory=-/srv/chair\nReadWritePaths=/srv/chair\n",
                           "[Service]\nReadWritePaths=\nReadWritePaths=/srv/only\n"])
    assert working_directory(settings, Path("/")) == Path("/srv/chair")
    assert writable_paths(settings) == [Path("/srv/only")]
    assert working_directory({}, Path("/")) == Path("/")


def test_alternatives_put_the_same_cards_mixing_devices_first():
    devices = [PcmDevice(n, "") for n in ("null", "default", "pulse", "hw:CARD=Device,DEV=0",
                                          "default:CARD=Device", "dmix:CARD=Device,DEV=0", "hw:CARD=HAT,DEV=0",
                                          "default:CARD=HAT")]
    assert alternatives("hw:CARD=Device,DEV=0", devices) == [
        "default:CARD=Device", "dmix:CARD=Device,DEV=0", "plug:dmix:CARD=Device,DEV=0", "default", "pulse"]
    assert alternatives("default", devices) == ["pulse"]
    assert PcmDevice("plughw:CARD=HAT,DEV=0", "").card == "HAT"


def test_worker_output_is_one_json_line(audio_sink):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "player.doctor.worker", "two-streams", "pulse"],
                         capture_output=True, text=True, env=env, timeout=60, check=True).stdout
    assert json.loads(out) == {"device": "pulse", "opened": 2, "error": None, "alternatives": []}
