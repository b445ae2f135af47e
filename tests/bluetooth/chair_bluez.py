"""dbusmock template: python3-dbusmock's bluez5, with Connect/Disconnect that BlueZ's way update the
Connected property (bluez5's own only emit the signal), and a `FailConnect` switch for the tests.

Loaded by the mock's own interpreter (/usr/bin/python3 -m dbusmock --template THIS_FILE).
"""
# ruff: noqa
import dbus
from dbusmock import mockobject
from dbusmock.templates import bluez5
from dbusmock.templates.bluez5 import *  # the template's BUS_NAME, MAIN_OBJ, SYSTEM_BUS, IS_OBJECT_MANAGER

FAIL = {"connect": ""}


def _set_connected(device, value):
    device.connected = value
    device.props[bluez5.DEVICE_IFACE]["Connected"] = dbus.Boolean(value, variant_level=1)
    device.EmitSignal(dbus.PROPERTIES_IFACE, "PropertiesChanged", "sa{sv}as",
                      [bluez5.DEVICE_IFACE, {"Connected": dbus.Boolean(value, variant_level=1)}, []])


@dbus.service.method(bluez5.DEVICE_IFACE, in_signature="", out_signature="")
def Connect(device):
    if FAIL["connect"]:
        raise dbus.exceptions.DBusException(FAIL["connect"], name="org.bluez.Error.Failed")
    if device.connected:
        raise dbus.exceptions.DBusException("Already Connected", name="org.bluez.Error.AlreadyConnected")
    _set_connected(device, True)


@dbus.service.method(bluez5.DEVICE_IFACE, in_signature="", out_signature="")
def Disconnect(device):
    if not device.connected:
        raise dbus.exceptions.DBusException("Not Connected", name="org.bluez.Error.NotConnected")
    _set_connected(device, False)


bluez5.Connect = Connect          # AddDevice looks these up in bluez5's namespace when it runs
bluez5.Disconnect = Disconnect


@dbus.service.method(bluez5.BLUEZ_MOCK_IFACE, in_signature="s", out_signature="")
def FailConnect(_self, message):
    """Every Connect fails with org.bluez.Error.Failed `message` ("" = succeed again)."""
    FAIL["connect"] = message


@dbus.service.method(bluez5.BLUEZ_MOCK_IFACE, in_signature="s", out_signature="")
def HeadsetGone(_self, path):
    """The headset switched off or walked out of range: BlueZ reports Connected false."""
    _set_connected(mockobject.objects[path], False)


def load(mock, parameters):
    bluez5.load(mock, parameters)
