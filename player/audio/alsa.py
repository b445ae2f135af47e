"""ALSA playback devices as the chair needs them: which exist, and which take two streams at once.

Every crossfade plays two tracks through two libVLC players on the configured device at the
same time, so the device must accept a second stream while the first is open. A ``hw:``
device takes one ("Device or resource busy" at the first crossfade); the card's ``default``
(dmix on most USB cards), ``dmix:``, PulseAudio or PipeWire take many. The probe opens the
PCMs the way libVLC's ALSA output does (playback, non-blocking), sets a stereo format on
each, and closes them again without writing a sample, so it makes no sound.

libasound is reached through ctypes (it is already loaded with libVLC; no new dependency).
libasound prints its own errors to stderr: callers that want quiet output run the probe in a
subprocess (`session-player doctor` does).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import re
from dataclasses import dataclass

SND_PCM_STREAM_PLAYBACK = 0
SND_PCM_NONBLOCK = 1
SND_PCM_FORMAT_S16_LE = 2
SND_PCM_ACCESS_RW_INTERLEAVED = 3
PROBE_RATES_HZ = (48000, 44100)  # a raw dmix runs at one rate: accept either, as libVLC would adapt
PROBE_LATENCY_US = 500_000


@dataclass(frozen=True)
class PcmDevice:
    """One ALSA PCM name (``default:CARD=Device``) and its description as `aplay -L` shows it."""

    name: str
    description: str

    @property
    def card(self) -> str | None:
        """The card id in the name (``CARD=Device``), or None for card-less names (``default``, ``pulse``)."""
        match = re.search(r"CARD=([^,]+)", self.name)
        return match.group(1) if match else None


@dataclass(frozen=True)
class StreamProbe:
    """How many streams opened at once on `device` (of how many asked), and why the next did not."""

    device: str
    wanted: int
    opened: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.opened >= self.wanted


class Alsa:
    """libasound through ctypes. Constructing loads the library; raises OSError without it."""

    def __init__(self, library: str | None = None) -> None:
        name = library or ctypes.util.find_library("asound")
        if not name:
            raise OSError("libasound (ALSA) is not installed: apt install libasound2")
        self._lib = ctypes.CDLL(name)
        self._lib.snd_strerror.restype = ctypes.c_char_p
        self._lib.snd_device_name_get_hint.restype = ctypes.c_void_p
        self._libc = ctypes.CDLL(None)

    def _error(self, rc: int) -> str:
        text = self._lib.snd_strerror(rc)
        return text.decode(errors="replace") if text else f"error {rc}"

    def playback_devices(self) -> list[PcmDevice]:
        """Every PCM that can play (``aplay -L``'s list), in ALSA's order."""
        hints = ctypes.POINTER(ctypes.c_void_p)()
        if self._lib.snd_device_name_hint(-1, b"pcm", ctypes.byref(hints)) != 0:
            return []
        devices = []
        try:
            i = 0
            while hints[i]:
                fields = {key: self._hint(hints[i], key) for key in (b"NAME", b"DESC", b"IOID")}
                if fields[b"NAME"] and fields[b"IOID"] in (None, "Output"):
                    description = " ".join((fields[b"DESC"] or "").split())
                    devices.append(PcmDevice(fields[b"NAME"], description))
                i += 1
        finally:
            self._lib.snd_device_name_free_hint(hints)
        return devices

    def _hint(self, hint: int, key: bytes) -> str | None:
        raw = self._lib.snd_device_name_get_hint(ctypes.c_void_p(hint), key)
        if not raw:
            return None
        try:
            return ctypes.string_at(raw).decode(errors="replace")
        finally:
            self._libc.free(ctypes.c_void_p(raw))

    def _open_one(self, device: str) -> tuple[ctypes.c_void_p | None, str | None]:
        pcm = ctypes.c_void_p()
        rc = self._lib.snd_pcm_open(ctypes.byref(pcm), device.encode(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        if rc < 0:
            busy = " (it takes one stream at a time)" if rc == -errno.EBUSY else ""
            return None, f"cannot open: {self._error(rc)}{busy}"
        for rate in PROBE_RATES_HZ:
            rc = self._lib.snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, rate,
                                              1, PROBE_LATENCY_US)
            if rc == 0:
                return pcm, None
        self._lib.snd_pcm_close(pcm)
        return None, f"opens, but takes no 16-bit stereo stream at 48 or 44.1 kHz: {self._error(rc)}"

    def present(self, device: str) -> bool:
        """Whether `device` can be opened now, the way libVLC opens it; busy counts as present
        (our own deck may hold it). The mixer's cheap probe, every few seconds."""
        pcm = ctypes.c_void_p()
        rc = self._lib.snd_pcm_open(ctypes.byref(pcm), device.encode(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        if rc == 0:
            self._lib.snd_pcm_close(pcm)
            return True
        return rc == -errno.EBUSY

    def open_streams(self, device: str, count: int = 2) -> StreamProbe:
        """Open `count` playback streams on `device` at once, then close them all."""
        opened: list[ctypes.c_void_p] = []
        error = None
        try:
            while len(opened) < count:
                pcm, error = self._open_one(device)
                if pcm is None:
                    break
                opened.append(pcm)
        finally:
            for pcm in opened:
                self._lib.snd_pcm_close(pcm)
        if error is not None and opened:
            error = f"stream {len(opened) + 1} {error}"
        return StreamProbe(device, count, len(opened), error)


def alternatives(device: str, devices: list[PcmDevice]) -> list[str]:
    """Names worth trying instead of `device`, best first: the same card's mixing PCMs, then shared ones.

    Pure: `session-player doctor` probes each with `Alsa.open_streams` and suggests only those
    that really take two streams.
    """
    card = PcmDevice(device, "").card
    if card is None and (numbered := re.fullmatch(r"(?:plug)?hw:(\d+)(?:,\d+)*", device)):
        card = _card_id(int(numbered.group(1)))
    names = [d.name for d in devices]
    ranked: list[str] = []
    if card is not None:
        ranked += [n for n in names if n.startswith(f"default:CARD={card}")]
        ranked += [n for n in names if n.startswith(f"dmix:CARD={card}")]
        ranked += [f"plug:{n}" for n in names if n.startswith(f"dmix:CARD={card}")]
    ranked += [n for n in ("default", "pipewire", "pulse", "sysdefault") if n in names]
    return [n for i, n in enumerate(ranked) if n != device and n not in ranked[:i]]


def _card_id(index: int) -> str | None:
    """The id of ALSA card number `index` (``hw:1`` -> ``Device``) from /proc/asound/cards."""
    try:
        with open("/proc/asound/cards", encoding="utf-8") as cards:
            for line in cards:
                match = re.match(r"\s*(\d+)\s+\[(\S+)\s*\]", line)
                if match and int(match.group(1)) == index:
                    return match.group(2)
    except OSError:
        pass
    return None
