"""The page's observation form takes the recovery symptoms (dizziness, grogginess) in a real browser on the
real daemon: every built-in kind is offered, a value off the 0-10 scale is refused, a good one recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.control import send_request
from player.core.observation_kinds import BUILTIN
from player.engine.eventlog import read_events
from tests.support.browser import signed_in_chair
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

PLAYLIST = """\
name: Recovery observations
crossfade: 1s
phases:
  - name: recovery
    duration: 10m
    tracks: [a.flac]
"""


def test_dizziness_and_grogginess_from_the_page(driver, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    def record(kind: str, value: str) -> None:
        Select(driver.find_element(By.ID, "obs-kind")).select_by_value(kind)
        field = driver.find_element(By.ID, "obs-value")
        assert field.get_attribute("placeholder") == "0-10"
        field.clear()
        field.send_keys(value)
        driver.find_element(By.ID, "btn-observe").click()

    with signed_in_chair(driver, tmp_path, PLAYLIST) as daemon:
        text_is("state", "idle")
        options = Select(driver.find_element(By.ID, "obs-kind")).options
        assert [(o.get_attribute("value"), o.text) for o in options] == [(k.name, k.label) for k in BUILTIN.values()]
        sid = send_request(daemon.config.socket_path, {"action": "start",
                                                       "playlist": str(tmp_path / "p.yaml")})["session_id"]
        text_is("state", "playing")
        record("dizziness", "11")
        text_is("message", "dizziness 11 0-10 is outside the plausible range 0-10")
        record("dizziness", "2")
        text_is("message", "Recorded dizziness 2")
        record("grogginess", "0")
        text_is("message", "Recorded grogginess 0")
        text_is("events", "observed Grogginess 0 0-10")
    log = read_events(tmp_path / "data" / "sessions" / sid / "events.jsonl")
    assert [(r["details"]["kind"], r["details"]["value"], r["details"]["none"], r["source"])
            for r in log if r["type"] == "observation"] == [("dizziness", 2, 0, "web"), ("grogginess", 0, 0, "web")]
