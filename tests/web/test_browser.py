"""The staff page in a real browser: headless Debian Chromium driven by selenium.

Logs in with the token, sees a phase change arrive live over SSE, pauses, marks, and stops
through the two-tap confirmation; saves screenshots (desktop and phone width) in tmp_path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from player.config import Config, WebConfig
from player.control.fake import FakeController
from player.web import WebServer
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 20

PHASES = [
    {"name": "Settling", "planned_start_s": 0.0, "planned_end_s": 600.0, "actual_start_s": 0.0, "actual_end_s": 610.0},
    {"name": "Onset", "planned_start_s": 600.0, "planned_end_s": 1800.0, "actual_start_s": 610.0,
     "actual_end_s": None},
    {"name": "Peak", "planned_start_s": 1800.0, "planned_end_s": 3000.0, "actual_start_s": None, "actual_end_s": None},
    {"name": "Comedown", "planned_start_s": 3000.0, "planned_end_s": 4200.0, "actual_start_s": None,
     "actual_end_s": None},
    {"name": "Recovery", "planned_start_s": 4200.0, "planned_end_s": 6600.0, "actual_start_s": None,
     "actual_end_s": None},
]


@pytest.fixture
def driver():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); "
                    "'./bootstrap.sh test' installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,1000",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-gpu"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    # The driver path is given, so Selenium Manager never tries to download one.
    drv = webdriver.Chrome(service=Service(shutil.which("chromedriver") or CHROMEDRIVER), options=opts)
    try:
        yield drv
    finally:
        drv.quit()


def test_staff_page_live_phase_change_pause_mark_stop(driver, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        """Wait for `text` in the element's DOM text (CSS may upper-case what is shown)."""
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    controller = FakeController(room="Room 3")
    config = Config(data_dir=tmp_path / "data", room="Room 3", web=WebConfig(port=0))
    with WebServer(config, controller, tick_s=0.5) as server:
        token = config.token_path.read_text().strip()
        controller.submit("start", source="button", playlist="Ketamine 40 min")
        controller.set_state_for_test(
            phases=PHASES, phase="Settling", phase_index=0, elapsed_s=540.0, phase_elapsed_s=540.0,
            phase_remaining_s=60.0, remaining_s=6060.0, track="settling/02 Drift.flac", level_db=-24.0)

        driver.get(server.url + "/")
        login = wait.until(ec.presence_of_element_located((By.ID, "token")))
        login.send_keys("not-the-token")
        driver.find_element(By.ID, "sign-in").click()
        wait.until(ec.visibility_of_element_located((By.ID, "failed")))
        driver.save_screenshot(str(tmp_path / "login-failed.png"))
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "sign-in").click()

        text_is("phase", "Settling")
        text_is("state", "playing")
        text_is("room", "Room 3")
        # Issue 22: the level heard and the cap on one scale (loudness relative to the target; dBA calibrated)
        text_is("volume-text", "heard -24.0 dB · cap -6.0 dB")
        controller.set_state_for_test(volume_dba=78.0, heard_dba=66.0, max_dba=84.0)
        text_is("volume-text", "heard -24.0 dB = 66.0 dBA · cap -6.0 dB = 84.0 dBA")

        # A phase boundary passes in the engine: the page follows without a reload.
        controller.set_state_for_test(phase="Onset", phase_index=1, elapsed_s=1210.0, phase_elapsed_s=600.0,
                                      phase_remaining_s=590.0, remaining_s=5390.0, track="onset/03 Tide.flac")
        text_is("phase", "Onset")
        text_is("phase-pos", "2 of 5")
        text_is("phase-elapsed", "10:00")
        assert driver.find_element(By.ID, "now-marker").get_attribute("style").startswith("left:")

        driver.find_element(By.ID, "btn-pause").click()
        text_is("state", "paused")
        assert controller.status()["state"] == "paused"
        assert controller.submitted[-1][:2] == ("pause", "web")
        assert driver.find_element(By.ID, "btn-resume").is_displayed()
        assert not driver.find_element(By.ID, "btn-pause").is_displayed()

        driver.find_element(By.ID, "mark-text").send_keys("BP 128/82")
        driver.find_element(By.ID, "btn-mark").click()
        text_is("events", "BP 128/82")
        assert controller.submitted[-1] == ("mark", "web", {"text": "BP 128/82"})

        controller.set_state_for_test(faults=["audio device lost: pulse"])
        text_is("faults", "audio device lost")
        driver.save_screenshot(str(tmp_path / "staff-page-desktop.png"))

        driver.find_element(By.ID, "btn-stop").click()
        text_is("btn-stop", "Tap again")
        assert controller.status()["state"] == "paused"  # one tap does not stop a session
        driver.find_element(By.ID, "btn-stop").click()
        text_is("state", "ended")
        assert controller.submitted[-1][:2] == ("stop", "web")

        driver.set_window_size(420, 900)
        controller.set_state_for_test(faults=[], state="playing", phase="Onset")
        text_is("state", "playing")
        driver.save_screenshot(str(tmp_path / "staff-page-phone.png"))
    assert (tmp_path / "staff-page-desktop.png").stat().st_size > 10_000
    print(f"screenshots in {tmp_path}")


def test_staff_page_on_the_real_engine(driver, tmp_path, short_playlist):
    """Start from the page, watch a real phase boundary pass live, pause from the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from player.daemon import Daemon
    from tests.engine.conftest import daemon_config

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    config = daemon_config(tmp_path / "data", session={"default_playlist": str(short_playlist)},
                           web={"enabled": True, "port": 0})
    with Daemon(config) as daemon:
        server = daemon.part(WebServer)
        assert server is not None, daemon.faults
        sign_in(driver, server.url, daemon.config.token_path.read_text().strip())
        text_is("state", "idle")
        wait.until(ec.element_to_be_clickable((By.ID, "btn-start"))).click()
        wait.until(ec.element_to_be_clickable((By.ID, "btn-confirm-start"))).click()   # the page asks first
        text_is("state", "playing")
        text_is("phase", "settling")
        text_is("phase", "onset")  # the 3 s phase ends on the engine's clock; the page follows live
        text_is("events", "phase onset started")
        driver.find_element(By.ID, "btn-pause").click()
        text_is("state", "paused")
        assert daemon.status()["state"] == "paused"
        driver.save_screenshot(str(tmp_path / "staff-page-real-engine.png"))
    assert (tmp_path / "staff-page-real-engine.png").stat().st_size > 10_000


def test_staff_page_reconnects_after_a_server_restart(driver, tmp_path):
    """The daemon restarts (same port, same token): the open page picks up again by itself."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)
    config = Config(data_dir=tmp_path / "data", room="Room 3", web=WebConfig(port=0))
    first = FakeController(room="Room 3")
    first.submit("start", source="button")
    with WebServer(config, first) as server:
        port = server.port
        sign_in(driver, server.url, config.token_path.read_text().strip())
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "state"), "textContent", "playing"))
        wait.until(lambda d: "up" in d.find_element(By.ID, "link").get_attribute("class"))
    wait.until(lambda d: "up" not in d.find_element(By.ID, "link").get_attribute("class"))  # it noticed
    second = FakeController(room="Room 3")
    restarted = Config(data_dir=tmp_path / "data", room="Room 3", web=WebConfig(port=port))
    with WebServer(restarted, second):
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "state"), "textContent", "idle"))
        wait.until(lambda d: "up" in d.find_element(By.ID, "link").get_attribute("class"))
        second.submit("start", source="button")
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "state"), "textContent", "playing"))
