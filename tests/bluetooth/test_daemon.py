"""The real daemon under the fake radio, end to end through the CLI: status, a loss mid-session, scan refused."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from player.clock import SystemClock
from player.config import load_config
from player.control import send_request
from player.daemon import Daemon, build_output
from player.engine.eventlog import read_events
from player.web import WebServer
from tests.bluetooth.radio import ADDRESS, Radio
from tests.bluetooth.test_keeper import paired
from tests.engine.conftest import daemon_config, demo_playlist  # noqa: F401 - demo_playlist is a fixture
from tests.support.browser import sign_in
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture

ROOT = Path(__file__).parents[2]


def cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *args, "--config", str(config)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def until(check: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    """Wait for something the daemon's threads do in real time (the keeper's 1 s, 2 s backoff)."""
    pause = threading.Event()
    for _ in range(int(timeout_s / 0.05)):
        if check():
            return True
        pause.wait(0.05)
    return check()


def test_the_daemon_keeps_the_headset_and_staff_see_its_loss_and_return(radio: Radio, tmp_path: Path,
                                                                        demo_playlist: Path):  # noqa: F811
    paired(radio)
    cfg = daemon_config(tmp_path / "data", audio={"device": f"bluealsa:DEV={ADDRESS},PROFILE=a2dp",
                                                  "bluetooth": {"address": ADDRESS, "retry_max_s": 2}})
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    with Daemon(config) as daemon:
        assert until(lambda: daemon.status()["bluetooth"]["connected"] and not daemon.status()["faults"])
        radio.battery(64)
        st = json.loads(cli(config, "status", "--json").stdout)
        assert {k: st["bluetooth"][k] for k in ("address", "name", "connected")} == \
            {"address": ADDRESS, "name": "WH-1000XM4", "connected": True}
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(demo_playlist)})["session_id"]

        radio.fail_connect("Page Timeout")
        radio.switched_off()
        assert until(lambda: daemon.status()["state"] == "faulted")
        text = cli(config, "status").stdout
        assert "headphones: WH-1000XM4 NOT CONNECTED" in text and "faults:    headphones disconnected" in text
        refused = cli(config, "bluetooth", "scan", "--seconds", "0.1")
        assert refused.returncode == 1 and "a session is faulted" in refused.stderr

        radio.fail_connect("")                          # back in range: the keeper's next attempt connects
        assert until(lambda: daemon.status()["state"] == "playing")
        st = daemon.status()
        assert st["faults"] == [] and st["bluetooth"]["connected"] is True and st["audio"] != "device lost"
    events = read_events(tmp_path / "data" / "sessions" / sid / "events.jsonl")
    faults = [(e["type"], e["details"]["message"]) for e in events if e["type"] in ("fault", "fault_cleared")]
    assert faults == [("fault", "headphones disconnected"), ("fault_cleared", "headphones disconnected")]


def test_without_bluealsa_running_the_daemon_plays_nowhere_and_says_why(radio: Radio, tmp_path: Path,
                                                                        demo_playlist: Path):  # noqa: F811
    paired(radio)
    radio.stop_bluealsa()
    cfg = daemon_config(tmp_path / "data", audio={"device": f"bluealsa:DEV={ADDRESS},PROFILE=a2dp",
                                                  "bluetooth": {"address": ADDRESS}})
    with Daemon(cfg) as daemon:
        assert until(lambda: "BlueALSA (bluealsa) is not running" in (daemon.status()["bluetooth"]["error"] or ""))
        st = daemon.status()
        assert st["faults"] == ["headphones disconnected"] and st["audio"] == "device lost"


@pytest.mark.browser
def test_the_staff_page_shows_the_headphones_and_their_loss(driver, radio: Radio, tmp_path: Path,  # noqa: F811
                                                            demo_playlist: Path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    paired(radio)
    cfg = daemon_config(tmp_path / "data", web={"enabled": True, "port": 0},
                        audio={"device": f"bluealsa:DEV={ADDRESS},PROFILE=a2dp",
                               "bluetooth": {"address": ADDRESS, "retry_max_s": 2}})
    with Daemon(cfg) as daemon:
        server = daemon.part(WebServer)
        sign_in(driver, server.url, daemon.config.token_path.read_text().strip())
        text_is("headphones", "WH-1000XM4 · connected")
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(demo_playlist)})
        radio.fail_connect("Page Timeout")
        radio.switched_off()
        text_is("headphones", "WH-1000XM4 · NOT CONNECTED")
        text_is("faults", "headphones disconnected")
        driver.save_screenshot(str(tmp_path / "headphones-lost.png"))
        radio.fail_connect("")
        text_is("headphones", "WH-1000XM4 · connected")
        wait.until(ec.invisibility_of_element_located((By.ID, "faults")))


def test_a_restart_while_the_headset_is_away_resumes_silent_and_fades_in_when_it_returns(radio: Radio, tmp_path: Path,
                                                                                         demo_playlist: Path):  # noqa: F811
    paired(radio)
    cfg = daemon_config(tmp_path / "data", audio={"device": f"bluealsa:DEV={ADDRESS},PROFILE=a2dp",
                                                  "bluetooth": {"address": ADDRESS, "retry_max_s": 2}})
    with Daemon(cfg) as daemon:
        assert until(lambda: daemon.status()["bluetooth"]["connected"] and not daemon.status()["faults"])
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(demo_playlist)})["session_id"]
    radio.fail_connect("Page Timeout")                  # the power came back; the headset did not
    radio.switched_off()
    output = build_output(load_config(cfg), SystemClock())     # the simulated sound, watched from here
    with Daemon(cfg, output=output) as daemon:
        assert until(lambda: daemon.status()["session_id"] == sid and daemon.status()["faults"])
        st = daemon.status()
        assert st["faults"] == ["headphones disconnected"] and st["bluetooth"]["connected"] is False
        assert all(output.volume_percent(d) == 0 for d in "ABC")
        radio.fail_connect("")
        assert until(lambda: daemon.status()["state"] == "playing" and not daemon.status()["faults"])
        assert until(lambda: any(output.volume_percent(d) > 0 for d in "ABC"))
