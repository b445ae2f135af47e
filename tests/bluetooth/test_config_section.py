"""audio.bluetooth in the config: its keys, its defaults, and the rule that the music goes to the headset only."""

from __future__ import annotations

import pytest

from player.config import BluetoothConfig, describe_schema, load_config
from player.errors import ConfigInvalid

ADDRESS = "00:1B:66:AA:BB:01"
PCM = f"bluealsa:DEV={ADDRESS},PROFILE=a2dp"


def test_defaults_off_and_a_headset_with_its_defaults():
    assert load_config({}).audio.bluetooth is None
    cfg = load_config({"audio": {"device": PCM, "bluetooth": {"address": ADDRESS.lower()}}})
    assert cfg.audio.bluetooth == BluetoothConfig(ADDRESS, reconnect=True, volume_percent=100, retry_max_s=60.0)
    cfg = load_config({"audio": {"device": PCM, "bluetooth": {"address": ADDRESS, "reconnect": False,
                                                              "volume_percent": 70, "retry_max_s": "2m"}}})
    assert cfg.audio.bluetooth == BluetoothConfig(ADDRESS, reconnect=False, volume_percent=70, retry_max_s=120.0)
    assert ("audio.bluetooth", None) in [(k, d) for k, d, _ in describe_schema()]


@pytest.mark.parametrize("section,message", [
    ({"reconnect": True}, "audio.bluetooth: address is required"),
    ({"address": "WH-1000XM4"}, "audio.bluetooth: address: expected a Bluetooth address"),
    ({"address": ADDRESS, "volume": 50}, "unknown key(s) volume; known: address, reconnect, volume_percent"),
    ({"address": ADDRESS, "volume_percent": 0}, "volume_percent: must be between 1 and 100"),
    ({"address": ADDRESS, "reconnect": "yes"}, "reconnect: expected true or false"),
    ("on", "audio.bluetooth: expected a mapping such as {address: AA:BB:CC:DD:EE:FF}"),
])
def test_mistakes_are_named(section, message):
    with pytest.raises(ConfigInvalid) as err:
        load_config({"audio": {"device": PCM, "bluetooth": section}})
    assert message in str(err.value)


def test_with_headphones_the_device_must_be_their_bluealsa_pcm_never_a_loudspeaker():
    with pytest.raises(ConfigInvalid, match=f"set audio.device: {PCM}"):
        load_config({"audio": {"bluetooth": {"address": ADDRESS}}})          # "default": the Pi's own jack/HDMI
    with pytest.raises(ConfigInvalid, match="never to a loudspeaker"):
        load_config({"audio": {"device": "hw:CARD=Headphones", "bluetooth": {"address": ADDRESS}}})
    assert load_config({"audio": {"output": "fake", "bluetooth": {"address": ADDRESS}}}).audio.bluetooth
