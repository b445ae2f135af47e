"""A virtual sound card for machines without one: PulseAudio with a null sink.

`session-player demo` uses it when the machine has no sound card, so the demo still plays
a real session through real libVLC and ALSA (device ``pulse``), paced in real time like a
sound card. Tests use the same sink with `record()` to measure the samples that really
reach the device (s16le, 48 kHz, stereo), as described in the engineering notes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from player.errors import AudioFailed

RATE = 48000
CHANNELS = 2
SINK = "capture"


def has_sound_card() -> bool:
    """True when ALSA lists at least one card (``/proc/asound/cards``)."""
    try:
        text = Path("/proc/asound/cards").read_text()
    except OSError:
        return False
    return bool(text.strip()) and "no soundcards" not in text


def missing_tools() -> list[str]:
    """Programs the virtual sink needs that are not installed."""
    return [t for t in ("pulseaudio", "pactl", "parec") if shutil.which(t) is None]


class VirtualSink:
    """Starts a private PulseAudio with a null sink; `env` points ALSA's ``pulse`` device at it.

    Use as a context manager, or `start()` / `close()` (idempotent). Constructing does no I/O.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self._given_dir = directory
        self.dir: Path | None = None
        self._pulse: subprocess.Popen | None = None
        self._recorders: list[subprocess.Popen] = []
        self._old_env: str | None = None

    @property
    def server(self) -> str:
        assert self.dir is not None, "start() the sink first"
        return f"unix:{self.dir / 'native'}"

    def start(self, timeout_s: float = 10.0) -> VirtualSink:
        missing = missing_tools()
        if missing:
            raise AudioFailed(f"the virtual sound card needs {', '.join(missing)} "
                              "(Debian: apt-get install pulseaudio pulseaudio-utils libasound2-plugins)")
        self.dir = self._given_dir or Path(tempfile.mkdtemp(prefix="session-player-sink-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        script = self.dir / "pa.pa"
        script.write_text(
            f"load-module module-null-sink sink_name={SINK} rate={RATE} channels={CHANNELS}\n"
            f"set-default-sink {SINK}\n"
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={self.dir / 'native'}\n")
        env = dict(os.environ, HOME=str(self.dir), XDG_RUNTIME_DIR=str(self.dir))
        self._pulse = subprocess.Popen(
            ["pulseaudio", "-n", "-F", str(script), "--exit-idle-time=-1", "--daemonize=no",
             f"--log-target=file:{self.dir / 'pulse.log'}"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._pulse.poll() is not None:
                break
            ok = subprocess.run(["pactl", "info"], env=dict(os.environ, PULSE_SERVER=self.server),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            if ok:
                self._old_env = os.environ.get("PULSE_SERVER")
                os.environ["PULSE_SERVER"] = self.server  # ALSA's pulse plugin in this process finds it
                return self
            time.sleep(0.1)
        log_file = self.dir / "pulse.log"
        log_text = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
        self.close()
        raise AudioFailed(f"the virtual sound card (PulseAudio) did not start: {log_text or 'no log'}")

    def record(self, path: Path) -> subprocess.Popen:
        """Record the sink's monitor into `path` (raw s16le 48 kHz stereo) until `close()`."""
        proc = subprocess.Popen(
            ["parec", "-d", f"{SINK}.monitor", "--format=s16le", f"--rate={RATE}", f"--channels={CHANNELS}",
             "--latency-msec=20", str(path)],
            env=dict(os.environ, PULSE_SERVER=self.server), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._recorders.append(proc)
        return proc

    def close(self) -> None:
        for proc in [*self._recorders, self._pulse]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        self._recorders, self._pulse = [], None
        if self.dir is not None and os.environ.get("PULSE_SERVER") == f"unix:{self.dir / 'native'}":
            if self._old_env is None:
                os.environ.pop("PULSE_SERVER", None)
            else:
                os.environ["PULSE_SERVER"] = self._old_env
        if self.dir is not None and self._given_dir is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> VirtualSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
