"""Every question the doctor asks the machine, in one place, so tests can answer them with a fake.

The audio and pin-factory probes run in a child process (`player.doctor.worker`) as the service
would: as its user when the doctor runs as root (``runuser``), otherwise as whoever runs it
(`identity` says which, and the checks say so in their detail).
"""

from __future__ import annotations

import ctypes
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import player

WORKER_TIMEOUT_S = 60.0
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # systemd's PATH for services
TIME_ERROR = 5  # adjtimex(): the kernel clock is not synchronized


class System:
    """The real machine. Constructing does no I/O.

    Args:
        service_user: the user the unit runs as (``User=``).
    """

    def __init__(self, service_user: str = "session-player") -> None:
        self.service_user = service_user

    # --- who -------------------------------------------------------------------------

    @property
    def identity(self) -> str:
        """The user the audio and pin probes run as."""
        if os.geteuid() == 0 and self.user_exists(self.service_user):
            return self.service_user
        return pwd.getpwuid(os.geteuid()).pw_name

    def invoking_admin(self) -> str | None:
        """The person running the doctor (SUDO_USER under sudo), unless that is root or the service user."""
        name = os.environ.get("SUDO_USER") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        return name if name and name not in ("root", self.service_user) else None

    def user_exists(self, user: str) -> bool:
        try:
            pwd.getpwnam(user)
        except KeyError:
            return False
        return True

    def group_exists(self, group: str) -> bool:
        try:
            grp.getgrnam(group)
        except KeyError:
            return False
        return True

    def groups_of(self, user: str) -> set[str]:
        """The user's groups as the group database has them (a new login is needed to get new ones)."""
        try:
            primary = pwd.getpwnam(user).pw_gid
        except KeyError:
            return set()
        return {g.gr_name for g in grp.getgrall() if user in g.gr_mem} | {grp.getgrgid(primary).gr_name}

    # --- probes in a child process ---------------------------------------------------

    def _worker(self, args: list[str], cwd: Path | None = None) -> dict:
        env = dict(os.environ, PYTHONPATH=str(Path(player.__file__).resolve().parent.parent))
        cmd = [sys.executable, "-m", "player.doctor.worker", *args]
        if self.identity != pwd.getpwuid(os.geteuid()).pw_name:
            cmd = ["runuser", "-u", self.identity, "--", *cmd]
        try:
            done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"ok": False, "error": f"the probe did not run: {exc}"}
        try:
            return json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            if cmd[0] == "runuser" and "failed to execute" in tail:
                return {"ok": False, "error": f"the probe could not start {sys.executable} as {self.identity} "
                        f"({tail}); run the installed /usr/bin/session-player doctor"}
            return {"ok": False, "error": f"the probe failed (exit {done.returncode}): {tail}"}

    def two_streams(self, device: str) -> dict:
        """``{"device", "opened", "error", "alternatives": [{"device", "ok", "error"}]}`` (worker)."""
        return self._worker(["two-streams", device])

    def playback_devices(self) -> dict:
        """``{"devices": [{"device", "description", "two_streams", "error"}]}`` (worker)."""
        return self._worker(["devices"])

    def bluetooth(self, address: str) -> dict:
        """``{"bluez", "adapter", "device", "bluealsa", "bluealsa_refused", ...}`` (worker: bluetooth/probe.py)."""
        return self._worker(["bluetooth", address])

    def pin_factory(self, name: str, cwd: Path) -> dict:
        """``{"ok", "cwd", "error", "problem"}``: the factory created in `cwd` as the service user (worker).

        ``problem`` says what failed: ``cwd-missing``, ``cwd-readonly`` or ``factory``.
        """
        if not cwd.is_dir():
            return {"ok": False, "cwd": str(cwd), "problem": "cwd-missing",
                    "error": f"the working directory {cwd} does not exist"}
        return self._worker(["pin-factory", name], cwd=cwd)

    # --- files, programs, clock ------------------------------------------------------

    def which(self, program: str) -> str | None:
        return shutil.which(program, path=SERVICE_PATH)

    def ffmpeg_filters(self, ffmpeg: str) -> str:
        try:
            return subprocess.run([ffmpeg, "-hide_banner", "-filters"], capture_output=True, text=True,
                                  timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""

    def voice_scan(self) -> dict:
        """``{"onnxruntime": version or None, "error": why the shipped model does not load, or None}``."""
        from player.audio.voice import VoiceModel, VoiceUnavailable, onnxruntime_version

        version = onnxruntime_version()
        if version is None:
            return {"onnxruntime": None, "error": "onnxruntime is not installed"}
        try:
            VoiceModel()
        except VoiceUnavailable as exc:
            return {"onnxruntime": version, "error": str(exc)}
        return {"onnxruntime": version, "error": None}

    def owner(self, path: Path) -> str | None:
        try:
            uid = path.stat().st_uid
        except OSError:
            return None
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def disk_usage(self, path: Path) -> tuple[int, int]:
        """(free bytes, total bytes) of the file system holding `path` (or its nearest existing parent)."""
        while not path.exists() and path != path.parent:
            path = path.parent
        usage = shutil.disk_usage(path)
        return usage.free, usage.total

    def clock_synchronized(self) -> tuple[bool | None, str]:
        """(synchronized?, how it was found): timedatectl, else the kernel's adjtimex state."""
        try:
            out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                                 capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip() in ("yes", "no"):
                return out.stdout.strip() == "yes", "timedatectl"
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:
            buffer = ctypes.create_string_buffer(512)  # struct timex, modes = 0: only read
            state = ctypes.CDLL(None, use_errno=True).adjtimex(buffer)
        except (OSError, AttributeError):
            return None, "neither timedatectl nor adjtimex answered"
        if state < 0:
            return None, "adjtimex failed"
        return state != TIME_ERROR, "adjtimex"
