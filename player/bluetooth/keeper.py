"""The headset keeper: one thread that keeps the configured headset connected and its volume fixed.

It owns an asyncio loop and one system-bus connection (reopened with backoff if the bus or
BlueZ goes away), listens to BlueZ (the device's Connected, its Battery1) and BlueALSA (the
headset's PCM coming and going, its Volume), and:

* tells the audio output `on_ready(True/False)` when the headphones become usable (connected
  *and* their BlueALSA PCM present, software volume on at the fixed level) or stop being so:
  the engine then treats it as any lost or returned sound device;
* asks BlueZ to connect whenever the headset is not connected (1 s, 2 s, 4 s ... up to
  ``retry_max_s``): at boot and after any loss. It never scans;
* puts the headset's volume back when it moves (the headset's own buttons), and has that
  recorded through `note` (a mark from "system" in the session's log).

All times come from the injected clock (`HeadsetLink`); `round()` lets a test move a fake
clock and wait for the keeper to act on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from dbus_fast import Message

from player.bluetooth.bluealsa import PCM, BlueAlsa, is_playback
from player.bluetooth.bluez import BATTERY, DEVICE, BlueZ
from player.bluetooth.bus import Bus
from player.clock import Clock, SystemClock
from player.config import BluetoothConfig
from player.core.bluetooth import RETRY_FIRST_S, HeadsetLink, address_of, decode_volume, encode_volume
from player.errors import BluetoothFailed

log = logging.getLogger(__name__)

POLL_S = 15.0      # re-read BlueZ and BlueALSA this often, in case a signal was missed


class HeadsetKeeper:
    """Keeps `config.address` connected; `snapshot()` is the status's ``bluetooth`` block.

    Args:
        config: audio.bluetooth.
        on_ready: told True/False (from the keeper's thread) when the headphones become usable or stop.
        note: records a line in the session's log (runs on a worker thread; may block).
        clock: monotonic time for the reconnect backoff (a FakeClock in tests).
    """

    def __init__(self, config: BluetoothConfig, *, on_ready: Callable[[bool], None],
                 note: Callable[[str], None] = lambda text: None, clock: Clock | None = None) -> None:
        self._cfg = config
        self._on_ready = on_ready
        self._note = note
        self._clock = clock or SystemClock()
        self.link = HeadsetLink(config.reconnect, config.retry_max_s)
        self._expected = encode_volume(config.volume_percent)
        self._lock = threading.Lock()
        self._info: dict = {"address": config.address, "name": None, "connected": False, "battery_percent": None,
                            "volume_put_back": 0, "error": None}
        self._todo: list[tuple] = []
        self._path = ""
        self._watched = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop = threading.Event()
        self._rounds = 0
        self._round_done = threading.Condition()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<HeadsetKeeper {self._cfg.address} {'ready' if self.link.ready else 'not ready'}>"

    # --- any thread --------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="bluetooth-headset",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self.poke()
        if self._thread is not None:
            self._thread.join(10)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._info)

    def poke(self) -> None:
        """Wake the keeper now (it re-reads the clock)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):   # the loop just ended
                loop.call_soon_threadsafe(wake.set)

    def round(self, timeout_s: float = 10.0) -> bool:
        """Wake the keeper and wait until it has done everything due by the clock's time (tests)."""
        for _ in range(2):   # the second round began after the first ended, so after this call
            with self._round_done:
                seen = self._rounds
            self.poke()
            def moved_on(seen: int = seen) -> bool:
                return self._rounds > seen or self._stop.is_set()
            with self._round_done:
                if not self._round_done.wait_for(moved_on, timeout_s):
                    return False
        return True

    # --- the keeper's loop -------------------------------------------------------------
    async def _main(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        wait = RETRY_FIRST_S
        while not self._stop.is_set():
            try:
                bus = await Bus.connect()
            except BluetoothFailed as exc:
                self._failed(str(exc), connected=False, pcm=None)
            else:
                self._watched = False
                try:
                    await self._watch(bus)
                except BluetoothFailed as exc:
                    self._failed(str(exc), connected=False, pcm=None)
                finally:
                    bus.close()
                if self._watched:          # it worked for a while: the next try after the first wait again
                    wait = RETRY_FIRST_S
            self._round()
            await self._sleep(wait)
            wait = min(wait * 2, self._cfg.retry_max_s)

    async def _watch(self, bus: Bus) -> None:
        self._bluez, self._alsa = BlueZ(bus), BlueAlsa(bus)
        self._path = await self._bluez.path_of(self._cfg.address)
        await bus.on_signal(self._on_bluez, sender="org.bluez",
                            members=("PropertiesChanged", "InterfacesAdded", "InterfacesRemoved"))
        await bus.on_signal(self._on_bluealsa, sender="org.bluealsa",
                            members=("PCMAdded", "PCMRemoved", "PropertiesChanged"))
        await bus.on_signal(self._on_owner, sender="org.freedesktop.DBus", members=("NameOwnerChanged",))
        gone = asyncio.ensure_future(bus.raw.wait_for_disconnect())
        gone.add_done_callback(lambda _: self.poke())
        try:
            await self._keep(bus)
        finally:
            gone.cancel()

    async def _keep(self, bus: Bus) -> None:
        refresh_at = -float("inf")
        while not self._stop.is_set():
            if not bus.raw.connected:
                raise BluetoothFailed("the system bus connection closed")
            if self._clock.monotonic() >= refresh_at:
                self._todo.append(("refresh",))
                refresh_at = self._clock.monotonic() + POLL_S
            while self._todo:
                await self._do(*self._todo.pop(0))
            if self.link.due(self._clock.monotonic()):
                await self._try_connect()
            self._round()
            now = self._clock.monotonic()
            wait = self.link.wait(now)
            await self._sleep(min(refresh_at - now, POLL_S if wait is None else wait))

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(seconds, 0.001))
        self._wake.clear()

    def _round(self) -> None:
        with self._round_done:
            self._rounds += 1
            self._round_done.notify_all()

    # --- what the loop does ----------------------------------------------------------
    async def _do(self, what: str, *args: object) -> None:
        if what == "refresh":
            await self._refresh()
        elif what == "pcm" and await self._hold_volume(str(args[0]), moved=None):
            self._apply(pcm=str(args[0]))
        elif what == "moved" and args[0] == self.link.pcm:
            await self._hold_volume(str(args[0]), moved=int(args[1]))  # type: ignore[call-overload]

    async def _refresh(self) -> None:
        info = await self._bluez.device(self._cfg.address)
        self._set(name=info.name if info else None, connected=bool(info and info.connected),
                  battery_percent=info.battery_percent if info else None)
        self._apply(connected=bool(info and info.connected))
        try:
            pcm = await self._alsa.pcm_of(self._cfg.address)
        except BluetoothFailed as exc:
            self._failed(str(exc), pcm=None)
            return
        if pcm is not None and (pcm.volume != self._expected or not pcm.soft_volume) \
                and not await self._hold_volume(pcm.path, moved=None):
            return
        self._apply(pcm=pcm.path if pcm else None)
        self._set(error=None)
        self._watched = True

    async def _try_connect(self) -> None:
        try:
            await self._bluez.connect(self._cfg.address)
            ok = True
        except BluetoothFailed as exc:
            ok = "AlreadyConnected" in str(exc)
            log.info("headset %s: connection attempt %d failed: %s", self._cfg.address, self.link.attempts + 1, exc)
        self.link.tried(self._clock.monotonic(), ok)

    async def _hold_volume(self, path: str, moved: int | None) -> bool:
        """Software volume on at the fixed level; `moved`: the value the headset moved it to (recorded).

        False when BlueALSA refused: the headphones are then not usable (nothing plays at their own level).
        """
        try:
            await self._alsa.fix_volume(path, self._cfg.volume_percent)
        except BluetoothFailed as exc:
            self._failed(f"cannot hold the headset's volume: {exc}", pcm=None)
            return False
        if moved is not None:
            left, right, muted = decode_volume(moved)
            what = "software volume switched off" if moved == self._expected else \
                f"headset volume moved to {left} %/{right} %{' (muted)' if muted else ''}"
            text = f"{what}; put back to {self._cfg.volume_percent} %"
            log.warning("%s", text)
            with self._lock:
                self._info["volume_put_back"] += 1
            asyncio.get_running_loop().run_in_executor(None, self._note, text)
        return True

    def _apply(self, **change: object) -> None:
        result = self.link.update(self._clock.monotonic(), **change)  # type: ignore[arg-type]
        self._set(connected=self.link.connected)
        if result is not None:
            log.warning("headphones %s %s", self._cfg.address, "back" if result == "back" else "disconnected")
            self._on_ready(result == "back")

    def _failed(self, message: str, **lost: object) -> None:
        """Show `message`; `lost` says what can no longer be counted on (connected=False, pcm=None)."""
        log.warning("bluetooth: %s", message)
        self._set(error=message)
        self._apply(**lost)

    def _set(self, **values: object) -> None:
        with self._lock:
            self._info.update(values)

    # --- signals (on the loop; they only note and wake) ---------------------------------
    def _on_bluez(self, msg: Message) -> None:
        if msg.member == "PropertiesChanged" and msg.path == self._path:
            iface, changed = msg.body[0], {k: v.value for k, v in msg.body[1].items()}
            if iface == DEVICE and "Connected" in changed:
                self._apply(connected=bool(changed["Connected"]))
            if iface == BATTERY and "Percentage" in changed:
                self._set(battery_percent=int(changed["Percentage"]))
        elif msg.member in ("InterfacesAdded", "InterfacesRemoved") and msg.body[0] == self._path:
            self._todo.append(("refresh",))
        self.poke()

    def _on_bluealsa(self, msg: Message) -> None:
        if msg.member == "PCMAdded" and address_of(msg.body[0]) == self._cfg.address \
                and is_playback({k: v.value for k, v in msg.body[1].items()}):
            self._todo.append(("pcm", msg.body[0]))
        elif msg.member == "PCMRemoved" and msg.body[0] == self.link.pcm:
            self._apply(pcm=None)
        elif msg.member == "PropertiesChanged" and msg.path == self.link.pcm and msg.body[0] == PCM:
            volume, soft = msg.body[1].get("Volume"), msg.body[1].get("SoftVolume")
            if (volume is not None and volume.value != self._expected) or (soft is not None and not soft.value):
                self._todo.append(("moved", msg.path, self._expected if volume is None else volume.value))
        self.poke()

    def _on_owner(self, msg: Message) -> None:
        name, _old, new = msg.body
        if name == "org.bluealsa" and not new:
            self._apply(pcm=None)
        elif name == "org.bluez" and not new:
            self._apply(connected=False, pcm=None)
        if name in ("org.bluealsa", "org.bluez"):
            self._todo.append(("refresh",))
            self.poke()
