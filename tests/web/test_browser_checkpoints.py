"""The staff page's checkpoints in a real browser on the real daemon (real clock): countdown, due banner, Acknowledge,
the observation form (a typo refused on the page, a good value recorded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.control import send_request
from player.daemon import Daemon
from player.engine.eventlog import read_events
from player.web import WebServer
from tests.engine.conftest import daemon_config
from tests.support.audio_files import write_audio
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

PLAYLIST = """\
name: Checkpoints in the browser
crossfade: 1s
phases:
  - name: onset
    duration: 10m
    tracks: [a.flac]
checkpoints:
  - {at: 4s, text: BP and sedation}
  - {at: 5m, text: HR}
"""


def test_due_banner_acknowledge_and_observations(driver, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    write_audio(tmp_path / "a.flac", 30.0)
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    config = daemon_config(tmp_path / "data", web={"enabled": True, "port": 0})
    with Daemon(config) as daemon:
        server = daemon.part(WebServer)
        assert server is not None, daemon.faults
        driver.get(server.url + "/")
        wait.until(ec.presence_of_element_located((By.ID, "token"))).send_keys(
            daemon.config.token_path.read_text().strip())
        driver.find_element(By.ID, "sign-in").click()
        text_is("state", "idle")
        assert not driver.find_element(By.ID, "cp-due").is_displayed()
        sid = send_request(daemon.config.socket_path, {"action": "start",
                                                       "playlist": str(tmp_path / "p.yaml")})["session_id"]
        text_is("cp-next-text", "BP and sedation")
        text_is("cp-next-in", "at 0:04 · in 0:0")                      # the countdown
        wait.until(ec.visibility_of_element_located((By.ID, "cp-due")))   # 4 s on the engine's clock
        text_is("cp-due-text", "BP and sedation")
        text_is("cp-next-text", "HR")
        driver.save_screenshot(str(tmp_path / "checkpoint-due.png"))
        driver.find_element(By.ID, "btn-ack").click()
        wait.until(ec.invisibility_of_element_located((By.ID, "cp-due")))
        text_is("message", "Checkpoint acknowledged")
        assert [c["state"] for c in daemon.status()["checkpoints"]] == ["done", "upcoming"]

        Select(driver.find_element(By.ID, "obs-kind")).select_by_value("bp")
        driver.find_element(By.ID, "obs-value").send_keys("1280/82")
        driver.find_element(By.ID, "btn-observe").click()
        text_is("message", "systolic 1280 mmHg is outside the plausible range")
        value = driver.find_element(By.ID, "obs-value")
        value.clear()
        value.send_keys("128/82")
        driver.find_element(By.ID, "btn-observe").click()
        text_is("message", "Recorded bp 128/82")
        text_is("events", "observed BP 128/82 mmHg")
    log = read_events(tmp_path / "data" / "sessions" / sid / "events.jsonl")
    assert [(r["type"], r["source"]) for r in log if r["type"] in ("checkpoint_due", "checkpoint_acknowledged",
                                                                  "observation")] == [
        ("checkpoint_due", "system"), ("checkpoint_acknowledged", "web"), ("observation", "web")]
    assert (tmp_path / "checkpoint-due.png").stat().st_size > 10_000
