"""A private system bus with BlueZ (python3-dbusmock's bluez5 template) and a fake BlueALSA on it.

No radio: `Radio.start()` runs dbus-daemon with a policy like Debian's (BlueALSA's D-Bus API
admits root and the group ``audio`` only), the dbusmock BlueZ (/usr/bin/python3, which has
python3-dbusmock) with one adapter, and tests/bluetooth/fake_bluealsa.py (which follows BlueZ's
Connected property as the real BlueALSA does). `Radio` then plays the headset's part: appear,
get switched off, report a battery, move its own volume.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

HERE = Path(__file__).resolve().parent
MOCK_PYTHON = "/usr/bin/python3"
ADDRESS = "00:1B:66:AA:BB:01"      # "the patient's noise-canceling headphones"
OTHER = "00:1B:66:AA:BB:02"
MOCK_IFACE = "org.bluez.Mock"
DBUSMOCK_IFACE = "org.freedesktop.DBus.Mock"

POLICY = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <deny send_destination="org.bluealsa"/>
  </policy>
  <policy group="audio"><allow send_destination="org.bluealsa"/></policy>
  <policy user="root"><allow send_destination="org.bluealsa"/></policy>
</busconfig>
"""


def missing_tools() -> list[str]:
    missing = [t for t in ("dbus-daemon",) if shutil.which(t) is None]
    if subprocess.run([MOCK_PYTHON, "-c", "import dbusmock"], capture_output=True).returncode != 0:
        missing.append("python3-dbusmock")
    try:
        import dbus_fast  # noqa: F401
    except ImportError:
        missing.append("python3-dbus-fast")
    return missing


class Radio:
    """The private bus and its two fake services; `address` is what DBUS_SYSTEM_BUS_ADDRESS should say."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="sp-bus-", dir="/tmp"))
        os.chmod(self.dir, 0o755)            # an unprivileged user (nobody) must reach the socket too
        self.address = f"unix:path={self.dir / 'system_bus_socket'}"
        self._procs: list[subprocess.Popen] = []

    # --- life cycle -------------------------------------------------------------------
    def start(self) -> Radio:
        conf = self.dir / "bus.conf"
        conf.write_text(POLICY.format(socket=self.dir / "system_bus_socket"))
        bus = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork", "--print-address=1"],
                               stdout=subprocess.PIPE, text=True)
        self._procs.append(bus)
        bus.stdout.readline()                  # printed once it listens
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self._procs.append(subprocess.Popen([MOCK_PYTHON, "-m", "dbusmock", "--template",
                                             str(HERE / "chair_bluez.py")], env=env,
                                            stdout=subprocess.DEVNULL))
        self._wait_for("org.bluez")
        self.mock("/", "AddAdapter", "ss", ["hci0", "chair-1"])
        self.start_bluealsa()
        return self

    def start_bluealsa(self) -> None:
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        proc = subprocess.Popen([sys.executable, str(HERE / "fake_bluealsa.py")], env=env, stdout=subprocess.PIPE,
                                text=True)
        self._procs.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        self.bluealsa = proc

    def stop_bluealsa(self) -> None:
        self.bluealsa.terminate()
        self.bluealsa.wait(10)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- calls --------------------------------------------------------------------------
    def call(self, service: str, path: str, interface: str, member: str, signature: str = "",
             body: list | None = None):
        async def go():
            bus = await MessageBus(bus_address=self.address, bus_type=BusType.SYSTEM).connect()
            try:
                reply = await bus.call(Message(destination=service, path=path, interface=interface, member=member,
                                               signature=signature, body=body or []))
            finally:
                bus.disconnect()
            if reply.message_type == MessageType.ERROR:
                raise RuntimeError(f"{reply.error_name}: {reply.body}")
            return reply.body
        return asyncio.run(go())

    def mock(self, path: str, member: str, signature: str = "", body: list | None = None,
             interface: str = MOCK_IFACE):
        return self.call("org.bluez", path, interface, member, signature, body)

    def _wait_for(self, name: str) -> None:
        for _ in range(200):
            try:
                if self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                             "NameHasOwner", "s", [name])[0]:
                    return
            except (OSError, RuntimeError):
                pass
            subprocess.run(["sleep", "0.05"])   # the mock's interpreter takes a moment to start
        raise TimeoutError(f"{name} did not appear on the private bus")

    # --- the headset's part ---------------------------------------------------------------
    @staticmethod
    def path(address: str = ADDRESS) -> str:
        return "/org/bluez/hci0/dev_" + address.replace(":", "_")

    def headset_in_pairing_mode(self, address: str = ADDRESS, name: str = "WH-1000XM4") -> str:
        return self.mock("/", "AddDevice", "sss", ["hci0", address, name])[0]

    def device_props(self, address: str = ADDRESS) -> dict:
        (props,) = self.call("org.bluez", self.path(address), "org.freedesktop.DBus.Properties", "GetAll", "s",
                             ["org.bluez.Device1"])
        return {k: v.value for k, v in props.items()}

    def switched_off(self, address: str = ADDRESS) -> None:
        self.mock("/", "HeadsetGone", "s", [self.path(address)])

    def fail_connect(self, message: str) -> None:
        self.mock("/", "FailConnect", "s", [message])

    def connect_calls(self, address: str = ADDRESS) -> int:
        (calls,) = self.mock(self.path(address), "GetMethodCalls", "s", ["Connect"], interface=DBUSMOCK_IFACE)
        return len(calls)

    def battery(self, percent: int, address: str = ADDRESS) -> None:
        self.mock(self.path(address), "AddProperties", "sa{sv}",
                  ["org.bluez.Battery1", {"Percentage": Variant("y", percent)}], interface=DBUSMOCK_IFACE)

    def pcm_path(self, address: str = ADDRESS) -> str:
        return "/org/bluealsa/hci0/dev_" + address.replace(":", "_") + "/a2dpsrc/sink"

    def pcms(self) -> dict:
        (found,) = self.call("org.bluealsa", "/org/bluealsa", "org.bluealsa.Manager1", "GetPCMs")
        return {path: {k: v.value for k, v in props.items()} for path, props in found.items()}

    def headset_buttons(self, volume: int, address: str = ADDRESS) -> None:
        """The patient (or a bumped headset) moves the volume: BlueALSA's Volume property changes."""
        self.call("org.bluealsa", self.pcm_path(address), "org.freedesktop.DBus.Properties", "Set", "ssv",
                  ["org.bluealsa.PCM1", "Volume", Variant("q", volume)])
