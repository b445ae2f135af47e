"""The daemon's process without OpenSSL (player/without_openssl.py): 7.7 MB less, the same page.

The real `session-player run` in its own process, with the shipped defaults (web page on, no
broker): OpenSSL never loads, and the staff page still logs staff in (an HMAC-SHA256 cookie,
Python's built-in SHA-2) and answers over a real socket. With the broker over TLS, it stays.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.engine.conftest import daemon_config

RUN_AND_ASK = """
import json, os, signal, sys
from player import cli
from player.commands import run

seen = {}

def leave_out_then_watch(config):
    left_out = real_leave_out(config)
    from player.daemon import Daemon          # imported as the run command does: after

    real_start = Daemon.start
    def start(self):
        real_start(self)
        ask(self)
    Daemon.start = start
    return left_out

real_leave_out, run.leave_out_openssl = run.leave_out_openssl, leave_out_then_watch

def ask(self):
    import http.client                        # the daemon's process: no TLS in it either
    from player.web.server import WebServer
    conn = http.client.HTTPConnection("127.0.0.1", self.part(WebServer).port, timeout=30)
    token = self.config.token_path.read_text().strip()
    conn.request("POST", "/login", body="token=" + token, headers={"Content-Type": "application/x-www-form-urlencoded"})
    login = conn.getresponse()
    login.read()
    conn.request("GET", "/api/status", headers={"Cookie": login.getheader("Set-Cookie", "").split(";")[0]})
    answer = conn.getresponse()
    seen.update(status=answer.status, state=json.loads(answer.read())["state"],
                loaded=sorted(m for m in ("ssl", "_ssl", "_hashlib") if sys.modules.get(m) is not None))
    os.kill(os.getpid(), signal.SIGTERM)

rc = cli.main(["run", "--config", sys.argv[1]])
print(json.dumps({"rc": rc, **seen}))
"""

LEAVE_OUT = """
import json, sys
from player.config import load_config
from player.without_openssl import leave_out_openssl
left_out = leave_out_openssl(load_config(sys.argv[1]))
try:
    import ssl  # noqa: F401
    tls = True
except ImportError:
    tls = False
print(json.dumps({"left_out": left_out, "tls": tls}))
"""


def _config(tmp_path: Path, **overrides) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(daemon_config(tmp_path / "data", **overrides)))
    return config


def _last_json(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_daemon_serves_its_page_with_no_openssl_loaded(tmp_path: Path) -> None:
    seen = _last_json([RUN_AND_ASK, str(_config(tmp_path, web={"enabled": True, "port": 0}))])
    assert seen == {"rc": 0, "status": 200, "state": "idle", "loaded": []}


def test_openssl_stays_for_a_broker_over_tls_and_goes_otherwise(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here\n")
    tls = _config(tmp_path, mqtt={"enabled": True, "host": "broker.clinic", "tls": {"ca_file": str(ca)}})
    assert _last_json([LEAVE_OUT, str(tls)]) == {"left_out": False, "tls": True}
    plain = _config(tmp_path, mqtt={"enabled": True, "host": "broker.clinic"})
    assert _last_json([LEAVE_OUT, str(plain)]) == {"left_out": True, "tls": False}
