"""A real-time virtual sound card for tests that measure what the player really outputs.

PulseAudio with a null sink, reached through ALSA's ``pulse`` plugin (so the player runs with
``audio.device: pulse`` exactly as on a Pi with a real card), and ``parec`` recording the
sink's monitor as s16le 48 kHz stereo. The project's own copy of the shared audio-sink tool.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 48000
CHANNELS = 2


def missing_tools() -> list[str]:
    """What is missing to run real-audio tests (empty when all is there)."""
    missing = [t for t in ("pulseaudio", "pactl", "parec") if shutil.which(t) is None]
    try:
        import vlc  # noqa: F401
        if vlc.Instance(["--quiet"]) is None:
            missing.append("libVLC (vlc.Instance failed)")
    except (ImportError, OSError) as exc:
        missing.append(f"libVLC ({exc})")
    if not any(Path(p).exists() for p in ("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so",
                                          "/usr/lib/aarch64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so",
                                          "/usr/lib/arm-linux-gnueabihf/alsa-lib/libasound_module_pcm_pulse.so")):
        missing.append("libasound2-plugins (ALSA pulse plugin)")
    return missing


@dataclass
class Envelope:
    """Per-window levels of a capture: `t` seconds, `rms_db` and `peak_db` dBFS (-inf for silence)."""

    t: np.ndarray
    rms_db: np.ndarray
    peak_db: np.ndarray

    def first_audible(self, threshold_db: float = -70.0) -> int | None:
        idx = np.nonzero(self.rms_db > threshold_db)[0]
        return int(idx[0]) if len(idx) else None


def envelope(samples: np.ndarray, window_ms: float = 20.0) -> Envelope:
    n = max(1, int(RATE * window_ms / 1000))
    count = len(samples) // n
    frames = samples[: count * n].reshape(count, n * samples.shape[1])
    with np.errstate(divide="ignore"):
        rms = 10 * np.log10(np.mean(frames * frames, axis=1))
        peak = 20 * np.log10(np.max(np.abs(frames), axis=1))
    return Envelope(np.arange(count) * n / RATE, rms, peak)


class Recording:
    """One running `parec` capture; `stop()` returns the samples as float (-1..1), frames x 2."""

    def __init__(self, server: str, path: Path) -> None:
        self._path = path
        self._proc = subprocess.Popen(
            ["parec", "-d", "capture.monitor", "--format=s16le", f"--rate={RATE}", f"--channels={CHANNELS}",
             "--latency-msec=20", str(path)], env={**os.environ, "PULSE_SERVER": server},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> np.ndarray:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        raw = self._path.read_bytes()
        raw = raw[: len(raw) - len(raw) % (2 * CHANNELS)]
        return np.frombuffer(raw, dtype="<i2").reshape(-1, CHANNELS).astype(np.float64) / 32768.0


class AudioSink:
    """Own PulseAudio with a null sink in a private directory. Use `start`/`stop` or `with`."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="audio-sink-"))
        self.server = f"unix:{self.dir}/native"
        self._proc: subprocess.Popen | None = None
        self._records = 0

    def start(self) -> str:
        """Start the sound server; returns the PULSE_SERVER value."""
        script = self.dir / "pa.pa"
        script.write_text(f"load-module module-null-sink sink_name=capture rate={RATE} channels={CHANNELS}\n"
                          "set-default-sink capture\n"
                          f"load-module module-native-protocol-unix auth-anonymous=1 socket={self.dir}/native\n")
        env = {**os.environ, "HOME": str(self.dir), "XDG_RUNTIME_DIR": str(self.dir)}
        self._proc = subprocess.Popen(["pulseaudio", "-n", "-F", str(script), "--exit-idle-time=-1",
                                       "--daemonize=no", f"--log-target=file:{self.dir}/pulse.log"],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ok = subprocess.run(["pactl", "info"], env={**os.environ, "PULSE_SERVER": self.server},
                                capture_output=True).returncode == 0
            if ok:
                return self.server
            if self._proc.poll() is not None:
                break
            time.sleep(0.1)
        log = (self.dir / "pulse.log").read_text(errors="replace") if (self.dir / "pulse.log").exists() else ""
        self.stop()
        raise RuntimeError(f"PulseAudio did not start: {log[-500:]}")

    def record(self) -> Recording:
        self._records += 1
        return Recording(self.server, self.dir / f"capture-{self._records}.raw")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def db(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else -math.inf
