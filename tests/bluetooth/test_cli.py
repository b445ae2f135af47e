"""`session-player bluetooth` and `devices` as the technician runs them, against the fake radio."""

from __future__ import annotations

import json
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from player.commands.bluetooth import headset_status
from tests.bluetooth.radio import ADDRESS, OTHER, Radio
from tests.support.privileges import is_root, run_unprivileged

ROOT = Path(__file__).parents[2]


def service_user_cannot_run_this_python() -> bool:
    """As root, the doctor's probes run as the service user once that user exists (packaging/test-deb
    leaves it behind, as Debian does); it cannot start a checkout's venv Python kept under /root."""
    if not is_root():
        return False
    try:
        pwd.getpwnam("session-player")
    except KeyError:
        return False
    started = subprocess.run(["runuser", "-u", "session-player", "--", sys.executable, "-c", "pass"],
                             capture_output=True, timeout=30)
    return started.returncode != 0


#: Tests that run `devices` or `doctor` through the CLI, whose probes then run as the service user.
needs_probes_as_me = pytest.mark.skipif(service_user_cannot_run_this_python(),
                                        reason="the service user exists and cannot run this venv's Python "
                                               "(the installed package's doctor is run by packaging/test-deb)")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def chair_config(tmp_path: Path, address: str | None = ADDRESS, **audio) -> Path:
    cfg = {"data_dir": str(tmp_path / "data"), "room": "Room 3", "hardware": {"enabled": False},
           "web": {"enabled": False}, "audio": {"output": "fake", **audio}}
    if address:
        cfg["audio"].update(device=f"bluealsa:DEV={address},PROFILE=a2dp", bluetooth={"address": address})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_scan_then_pair_trusts_connects_and_prints_the_config_lines(radio: Radio, tmp_path: Path):
    radio.headset_in_pairing_mode()
    radio.headset_in_pairing_mode(OTHER, "JBL Flip")
    config = chair_config(tmp_path, address=None)
    done = cli("bluetooth", "scan", "--seconds", "0.2", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert {d["address"]: d["name"] for d in json.loads(done.stdout)} == {ADDRESS: "WH-1000XM4", OTHER: "JBL Flip"}
    done = cli("bluetooth", "pair", ADDRESS.lower(), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert f"paired, trusted and connected: {ADDRESS} WH-1000XM4" in done.stdout
    assert f'device: "bluealsa:DEV={ADDRESS},PROFILE=a2dp"' in done.stdout and f'address: "{ADDRESS}"' in done.stdout
    props = radio.device_props()
    assert props["Paired"] and props["Trusted"] and props["Connected"]
    assert radio.device_props(OTHER)["Paired"] is False
    (calls,) = radio.mock("/org/bluez", "GetMethodCalls", "s", ["RegisterAgent"],
                          interface="org.freedesktop.DBus.Mock")
    assert [[a.value for a in args] for _, args in calls] == [["/org/sessionplayer/agent", "NoInputNoOutput"]]
    assert radio.pcm_path() in radio.pcms()                     # BlueALSA offers its PCM now


def test_status_json_shows_connection_battery_and_the_pcm(radio: Radio, tmp_path: Path):
    radio.headset_in_pairing_mode()
    config = chair_config(tmp_path)
    done = cli("bluetooth", "status", "--json", "--config", str(config))
    st = json.loads(done.stdout)
    assert (st["name"], st["connected"], st["paired"], st["pcm"]) == ("WH-1000XM4", False, False, None)
    assert cli("bluetooth", "pair", ADDRESS, "--config", str(config)).stdout.endswith("already plays to it\n")
    radio.battery(55)
    st = json.loads(cli("bluetooth", "status", "--json", "--config", str(config)).stdout)
    assert (st["connected"], st["battery_percent"], st["trusted"]) == (True, 55, True)
    assert st["pcm"]["path"] == radio.pcm_path() and st["adapter"]["powered"] is True
    text = cli("bluetooth", "status", "--config", str(config)).stdout
    assert text.startswith(f"headphones: WH-1000XM4 {ADDRESS}: connected, battery 55 %")


def test_forget_removes_the_configured_headset(radio: Radio, tmp_path: Path):
    radio.headset_in_pairing_mode()
    config = chair_config(tmp_path)
    assert cli("bluetooth", "pair", ADDRESS, "--config", str(config)).returncode == 0
    done = cli("bluetooth", "forget", "--config", str(config))
    assert done.returncode == 0 and done.stdout == f"forgot {ADDRESS}\n"
    assert cli("bluetooth", "forget", "--config", str(config)).stdout == f"{ADDRESS} was not paired\n"


def test_pairing_an_address_not_in_range_says_so(radio: Radio, tmp_path: Path):
    done = cli("bluetooth", "pair", ADDRESS, "--seconds", "0.5", "--config", str(chair_config(tmp_path)))
    assert done.returncode == 1 and f"{ADDRESS} was not found" in done.stderr and "pairing mode" in done.stderr


def test_pair_looks_for_a_headset_bluez_forgot_since_the_scan(radio: Radio):
    import asyncio
    import threading

    from player.bluetooth.bluez import BlueZ
    from player.bluetooth.bus import Bus

    async def pair() -> object:
        bus = await Bus.connect()
        try:
            return await BlueZ(bus).pair(ADDRESS, discover_s=10)
        finally:
            bus.close()
    threading.Timer(0.5, radio.headset_in_pairing_mode).start()   # it shows up while pair is discovering
    info = asyncio.run(pair())
    assert info.paired and info.trusted and info.connected
    (calls,) = radio.mock("/org/bluez/hci0", "GetMethodCalls", "s", ["StopDiscovery"],
                          interface="org.freedesktop.DBus.Mock")
    assert len(calls) == 1                                        # and discovery is over again


def test_without_bluez_the_error_says_how_to_start_it(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    done = cli("bluetooth", "status", "--config", str(chair_config(tmp_path)))
    assert done.returncode == 1 and "cannot reach the system D-Bus" in done.stderr


@needs_probes_as_me
def test_devices_lists_the_bluealsa_pcm_of_connected_headphones(radio: Radio, tmp_path: Path):
    radio.headset_in_pairing_mode()
    config = chair_config(tmp_path)
    cli("bluetooth", "pair", ADDRESS, "--config", str(config))
    done = cli("devices", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    bt = [row for row in json.loads(done.stdout) if row["device"].startswith("bluealsa:")]
    assert bt == [{"device": f"bluealsa:DEV={ADDRESS},PROFILE=a2dp", "two_streams": None, "error": None,
                   "description": f"WH-1000XM4 (Bluetooth, BlueALSA {radio.pcm_path()})", "configured": True}]


@pytest.mark.skipif(not is_root(), reason="needs root to become a user outside the group audio")
def test_a_service_user_outside_group_audio_is_refused_by_bluealsa_with_the_fix(radio: Radio, tmp_path: Path):
    radio.headset_in_pairing_mode()
    cli("bluetooth", "pair", ADDRESS, "--config", str(chair_config(tmp_path)))
    st = run_unprivileged(lambda: headset_status(ADDRESS))        # as nobody: BlueZ answers, BlueALSA refuses
    assert st["connected"] is True and st["pcm"] is None
    assert "refused this user access to BlueALSA" in st["error"] and "adduser session-player audio" in st["error"]
    assert headset_status(ADDRESS)["pcm"] is not None             # root (the policy's other admitted user) is let in
