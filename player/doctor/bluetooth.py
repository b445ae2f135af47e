"""The doctor's Bluetooth checks, run only when audio.bluetooth is set (`checks_for`).

One probe (`System.bluetooth`, in the worker as the service's user, since BlueALSA's D-Bus
policy admits users by group) answers: the system bus, BlueZ and its adapter, the headset's
pairing and trust, and whether BlueALSA runs and lets the service user in.
"""

from __future__ import annotations

from player.doctor.checks import CHECKS, Check, DoctorContext
from player.doctor.model import CheckResult, failed, passed
from player.doctor.system import System


def _probe(ctx: DoctorContext, system: System) -> dict:
    assert ctx.config.audio.bluetooth is not None
    return system.bluetooth(ctx.config.audio.bluetooth.address)


def check_bluetooth_services(ctx: DoctorContext, system: System) -> CheckResult:
    p = _probe(ctx, system)
    if p.get("error"):
        return failed("bluetooth-services", p["error"], "sudo apt install bluez bluez-alsa-utils "
                      "libasound2-plugin-bluez python3-dbus-fast")
    if not p.get("bluez"):
        return failed("bluetooth-services", f"BlueZ: {p.get('bluez_error')}", "sudo systemctl enable --now bluetooth")
    if not p.get("bluealsa") and not p.get("bluealsa_refused"):
        return failed("bluetooth-services", f"BlueALSA: {p.get('bluealsa_error')}",
                      "sudo apt install bluez-alsa-utils && sudo systemctl enable --now bluealsa")
    return passed("bluetooth-services", "BlueZ and BlueALSA are running")


def check_bluetooth_adapter(ctx: DoctorContext, system: System) -> CheckResult:
    adapter = _probe(ctx, system).get("adapter")
    if not adapter:
        return failed("bluetooth-adapter", "no Bluetooth adapter", "rfkill unblock bluetooth (on a Pi 3/4/5 the "
                      "radio is built in; is dtoverlay=disable-bt in /boot/firmware/config.txt?)")
    if not adapter.get("powered"):
        return failed("bluetooth-adapter", f"adapter {adapter.get('address')} is off",
                      "set AutoEnable=true in /etc/bluetooth/main.conf ([Policy]) and restart bluetooth")
    return passed("bluetooth-adapter", f"adapter {adapter.get('address')} is on")


def check_bluetooth_headset(ctx: DoctorContext, system: System) -> CheckResult:
    address = ctx.config.audio.bluetooth.address  # type: ignore[union-attr]
    device = _probe(ctx, system).get("device")
    pair = f"session-player bluetooth pair {address} (headphones in pairing mode)"
    if not device or not device.get("paired"):
        return failed("bluetooth-headset", f"{address} is not paired with this chair", pair)
    if not device.get("trusted"):
        return failed("bluetooth-headset", f"{device.get('name')} {address} is paired but not trusted: it cannot "
                      "reconnect by itself", pair)
    state = "connected" if device.get("connected") else "not connected now (the player keeps trying)"
    return passed("bluetooth-headset", f"{device.get('name')} {address}: paired, trusted, {state}")


def check_bluetooth_access(ctx: DoctorContext, system: System) -> CheckResult:
    p = _probe(ctx, system)
    who = f"as {system.identity}"
    if p.get("bluealsa_refused"):
        return failed("bluetooth-access", f"BlueALSA refused {system.identity} ({p.get('bluealsa_error')})",
                      f"sudo adduser {system.service_user} audio, then sudo systemctl restart session-player")
    if not p.get("bluealsa"):
        return failed("bluetooth-access", f"BlueALSA could not be asked {who}", "see bluetooth-services")
    return passed("bluetooth-access", f"BlueALSA's D-Bus API answers {who}")


BLUETOOTH_CHECKS: tuple[Check, ...] = (check_bluetooth_services, check_bluetooth_adapter, check_bluetooth_headset,
                                       check_bluetooth_access)


def checks_for(ctx: DoctorContext) -> tuple[Check, ...]:
    """Every check that applies: the Bluetooth ones only on a chair with audio.bluetooth."""
    return CHECKS + BLUETOOTH_CHECKS if ctx.config.audio.bluetooth is not None else CHECKS
