"""A real Mosquitto broker for the tests: its own config, port and folder; stopped and restarted at will.

Debian's `mosquitto` package (bootstrap.sh installs it for the tests). The broker listens on
127.0.0.1 on a free port and keeps its persistence file in the test's folder, so a
restart keeps the sessions and queued QoS 1 messages of clients with clean_session off.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
START_TIMEOUT_S = 10.0


def missing_broker() -> str | None:
    """Why the broker cannot run here, or None."""
    for tool in (MOSQUITTO, MOSQUITTO_PASSWD):
        if not Path(tool).exists():
            return f"needs Debian's mosquitto ({tool}); './bootstrap.sh test' installs it"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """One mosquitto process. `acl_file` and `passwords` ({user: password}) turn on authentication."""

    def __init__(self, folder: Path, *, acl_file: Path | None = None, passwords: dict[str, str] | None = None,
                 extra: str = "", listeners: str | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        lines = [*(["user root"] if os.getuid() == 0 else []),  # else it drops to 'mosquitto': no access here
                 "persistence true", f"persistence_location {folder}/", "autosave_interval 1",
                 f"log_dest file {folder}/mosquitto.log", "log_type all"]
        if listeners is not None:   # a whole listener set-up (e.g. docs/mosquitto/session-player.conf's)
            self.conf = folder / "mosquitto.conf"
            self.conf.write_text("\n".join(lines) + "\n" + listeners.replace("PORT", str(self.port)))
            return
        lines.append(f"listener {self.port} 127.0.0.1")
        if passwords is not None:
            pwfile = write_passwords(folder / "passwords", passwords)
            lines += ["allow_anonymous false", f"password_file {pwfile}"]
        else:
            lines.append("allow_anonymous true")
        if acl_file is not None:
            lines.append(f"acl_file {acl_file}")
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n" + extra)

    def start(self) -> Broker:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)  # polling a port coming up: there is no event to wait on
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {START_TIMEOUT_S:g} s")

    def stop(self) -> None:
        """SIGTERM: the broker saves its persistence file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)
        self.process = None

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_passwords(path: Path, passwords: dict[str, str]) -> Path:
    """A Mosquitto password file (hashed by mosquitto_passwd, as the docs tell the technician)."""
    path.write_text("")
    for user, password in passwords.items():
        subprocess.run([MOSQUITTO_PASSWD, "-b", str(path), user, password], check=True, capture_output=True)
    return path


def make_clinic_ca(folder: Path) -> dict[str, Path]:
    """A clinic CA and a broker certificate for localhost/127.0.0.1, made with openssl (docs/station.md#tls)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "clinic-ca.crt", "broker.key", "broker.csr",
                                                       "broker.crt"))
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def openssl(*args: str) -> None:
        subprocess.run([shutil.which("openssl") or "openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test clinic CA",
            "-keyout", str(ca_key), "-out", str(ca))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(csr))
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-days", "2",
            "-extfile", str(ext), "-out", str(cert))
    return {"ca": ca, "cert": cert, "key": key}
