"""Bluetooth headphones through BlueZ and BlueALSA (docs/design.md#bluetooth, docs/technician.md#bluetooth).

The chair plays into a BlueALSA PCM (ALSA, as any sound card) and talks D-Bus to BlueZ and
BlueALSA only to pair, to keep the configured headset connected and to hold its volume:

* `model`: pure: addresses and object paths, BlueALSA's volume encoding, the link's state
  (connected, PCM present, when to try again) with its backoff on an injected clock;
* `bus`: one D-Bus connection (python3-dbus-fast) and calls whose errors read as fixes;
* `bluez`, `bluealsa`, `agent`: the two services' APIs as the chair uses them, and the
  NoInputNoOutput pairing agent;
* `keeper`: the thread that keeps the headset connected and its volume fixed, and tells the
  audio output (`gate`) when the headphones go and come back, the way a sound card's loss is told;
* `part`: the daemon's handle on both (its status's ``bluetooth`` block); `probe`: the doctor's look.

Importing this package imports no D-Bus library; the modules that need one import it.
"""
