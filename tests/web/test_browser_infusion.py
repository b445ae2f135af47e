"""The chair page's infusion buttons in a real browser on the real daemon (real clock): each asks for a second
tap, records with source web, shows what was recorded, and says whether the recovery hour is anchored; an
anchored checkpoint shows no countdown before its event."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.control import send_request
from player.engine.eventlog import read_events
from tests.support.browser import signed_in_chair
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

PLAYLIST = """\
name: Infusion in the browser
crossfade: 1s
phases:
  - name: onset
    duration: 10m
    tracks: [a.flac]
  - name: recovery
    duration: 10m
    until: infusion_end + 60m
    tracks: [a.flac]
checkpoints:
  - {at: 19m, text: Headphones check}
  - {at: 15m, after: infusion_start, text: BP and HR, repeat: 15m, until: infusion_end}
"""


def test_infusion_buttons_record_with_source_web(driver, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    def enabled(element_id: str) -> None:
        wait.until(lambda d: d.find_element(By.ID, element_id).is_enabled())

    with signed_in_chair(driver, tmp_path, PLAYLIST) as daemon:
        text_is("state", "idle")
        assert not driver.find_element(By.ID, "infusion-panel").is_displayed()
        sid = send_request(daemon.config.socket_path, {"action": "start",
                                                       "playlist": str(tmp_path / "p.yaml")})["session_id"]
        wait.until(ec.visibility_of_element_located((By.ID, "infusion-panel")))
        text_is("infusion-state", "Infusion not started")
        text_is("infusion-until", "recovery: not anchored")
        text_is("cp-next-text", "Headphones check")       # the anchored one has no time yet: never "next"
        assert not driver.find_element(By.ID, "btn-infusion-end").is_enabled()
        enabled("btn-infusion-start")

        start = driver.find_element(By.ID, "btn-infusion-start")
        start.click()                                     # the first tap only arms it
        text_is("btn-infusion-start", "Tap again to record")
        assert daemon.status()["infusion"]["state"] == "not_started"
        start.click()
        text_is("message", "Infusion start recorded")
        text_is("infusion-state", "Infusion running since 0:0")
        text_is("cp-next-text", "BP and HR")               # 15 min after the start: before the 19 min one
        assert not driver.find_element(By.ID, "btn-infusion-start").is_enabled()
        enabled("btn-infusion-end")
        end = driver.find_element(By.ID, "btn-infusion-end")
        end.click()
        end.click()
        text_is("message", "Infusion end recorded")
        text_is("infusion-state", "Infusion 0:0")
        text_is("infusion-until", "recovery: until at least 1:0")
        text_is("events", "infusion ended after")
        driver.save_screenshot(str(tmp_path / "infusion.png"))
    log = read_events(tmp_path / "data" / "sessions" / sid / "events.jsonl")
    assert [(r["type"], r["source"]) for r in log if r["type"].startswith("infusion")] == [
        ("infusion_started", "web"), ("infusion_ended", "web")]
    assert (tmp_path / "infusion.png").stat().st_size > 10_000
