"""The doctor's Bluetooth checks: each failure with its fix (fake machine), and the real probe on the fake radio."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest
from dbus_fast import Variant

from player.bluetooth.probe import probe
from player.config import load_config
from player.doctor import CHECKS, DoctorContext, run_checks
from player.doctor.bluetooth import BLUETOOTH_CHECKS, checks_for
from tests.bluetooth.radio import ADDRESS, Radio
from tests.bluetooth.test_cli import chair_config, cli, needs_probes_as_me
from tests.bluetooth.test_keeper import paired
from tests.doctor.fake_system import FakeSystem
from tests.support.privileges import is_root, run_unprivileged

HEALTHY = {"bluez": True, "bluez_error": None, "adapter": {"address": "B8:27:EB:00:00:01", "powered": True},
           "device": {"address": ADDRESS, "name": "WH-1000XM4", "paired": True, "trusted": True, "connected": True},
           "bluealsa": True, "bluealsa_error": None, "bluealsa_refused": False}


@dataclass
class BtSystem(FakeSystem):
    bt: dict = field(default_factory=lambda: dict(HEALTHY))

    def bluetooth(self, address: str) -> dict:
        self.asked.append(("bluetooth", address))
        return self.bt


@pytest.fixture
def ctx(tmp_path) -> DoctorContext:
    config = load_config({"data_dir": str(tmp_path), "audio": {"device": f"bluealsa:DEV={ADDRESS},PROFILE=a2dp",
                                                               "bluetooth": {"address": ADDRESS}}})
    return DoctorContext(config, "/etc/session-player/config.yaml")


def bt_results(ctx: DoctorContext, **answers) -> dict:
    system = BtSystem(bt=dict(HEALTHY, **answers))
    return {r.check: r for r in run_checks(ctx, system, BLUETOOTH_CHECKS)}


def test_the_bluetooth_checks_run_only_on_a_chair_with_headphones(ctx, tmp_path):
    assert checks_for(ctx) == CHECKS + BLUETOOTH_CHECKS
    plain = DoctorContext(load_config({"data_dir": str(tmp_path)}), "x")
    assert checks_for(plain) == CHECKS


def test_a_healthy_bluetooth_chair_passes(ctx):
    results = bt_results(ctx)
    assert all(r.ok for r in results.values()), results
    assert results["bluetooth-headset"].detail == f"WH-1000XM4 {ADDRESS}: paired, trusted, connected"


@pytest.mark.parametrize("answers,check,detail,fix", [
    ({"bluez": False, "bluez_error": "BlueZ (bluetoothd) is not running"}, "bluetooth-services", "BlueZ",
     "systemctl enable --now bluetooth"),
    ({"bluealsa": False, "bluealsa_error": "BlueALSA (bluealsa) is not running"}, "bluetooth-services", "BlueALSA",
     "apt install bluez-alsa-utils"),
    ({"adapter": None}, "bluetooth-adapter", "no Bluetooth adapter", "rfkill unblock bluetooth"),
    ({"adapter": {"address": "B8:27:EB:00:00:01", "powered": False}}, "bluetooth-adapter", "is off", "AutoEnable"),
    ({"device": None}, "bluetooth-headset", "not paired", f"bluetooth pair {ADDRESS}"),
    ({"device": dict(HEALTHY["device"], trusted=False)}, "bluetooth-headset", "not trusted", "bluetooth pair"),
    ({"bluealsa": False, "bluealsa_refused": True, "bluealsa_error": "AccessDenied"}, "bluetooth-access",
     "BlueALSA refused session-player", "adduser session-player audio"),
])
def test_each_bluetooth_fault_names_its_fix(ctx, answers, check, detail, fix):
    result = bt_results(ctx, **answers)[check]
    assert not result.ok and detail in result.detail and fix in result.fix, result


def test_no_dbus_fast_or_no_bus_fails_the_services_check(ctx):
    result = bt_results(ctx, error="python3-dbus-fast is missing")["bluetooth-services"]
    assert not result.ok and "python3-dbus-fast" in result.fix


@needs_probes_as_me
def test_the_real_doctor_on_the_fake_radio(radio: Radio, tmp_path):
    paired(radio)
    radio.mock(radio.path(), "Set", "ssv", ["org.bluez.Device1", "Trusted", Variant("b", True)],
               interface="org.freedesktop.DBus.Properties")
    done = cli("doctor", "--json", "--config", str(chair_config(tmp_path)))
    rows = {r["check"]: r for r in json.loads(done.stdout)}
    assert [rows[c]["ok"] for c in ("bluetooth-services", "bluetooth-adapter", "bluetooth-headset",
                                    "bluetooth-access")] == [True] * 4, rows
    radio.stop_bluealsa()
    rows = {r["check"]: r for r in json.loads(cli("doctor", "--json", "--config", str(chair_config(tmp_path))).stdout)}
    assert not rows["bluetooth-services"]["ok"] and "BlueALSA (bluealsa) is not running" in rows[
        "bluetooth-services"]["detail"]


@pytest.mark.skipif(not is_root(), reason="needs root to become a user outside the group audio")
def test_the_real_probe_as_a_user_outside_group_audio_is_refused(radio: Radio):
    paired(radio)
    answer = run_unprivileged(lambda: asyncio.run(probe(ADDRESS)))
    assert answer["bluez"] is True and answer["bluealsa"] is False and answer["bluealsa_refused"] is True
    assert asyncio.run(probe(ADDRESS))["bluealsa"] is True
