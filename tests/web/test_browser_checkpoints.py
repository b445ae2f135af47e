"""The staff page's checkpoints in a real browser on the real daemon (real clock): countdown, due banner, Acknowledge,
the observation form (a typo refused on the page, a good value recorded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.control import send_request
from player.engine.eventlog import read_events
from tests.support.browser import signed_in_chair
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

    with signed_in_chair(driver, tmp_path, PLAYLIST) as daemon:
        text_is("state", "idle")
        assert not driver.find_element(By.ID, "cp-due").is_displayed()
        sid = send_request(daemon.config.socket_path, {"action": "start",
                                                       "playlist": str(tmp_path / "p.yaml")})["session_id"]
        text_is("cp-next-text", "BP and sedation")
        text_is("cp-next-in", "at 0:04 · in 0:0")                      # the countdown
        wait.until(ec.visibility_of_element_located((By.ID, "cp-due")))   # 4 s on the engine's clock
        text_is("cp-due-text", "BP and sedation")
        text_is("cp-panel-due-text", "BP and sedation")  # repeated beside the observation form
        assert not driver.find_element(By.ID, "cp-next").is_displayed()  # never "next: HR" while one is due
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


PINNED_PLAYLIST = """\
name: Pinned checkpoint
crossfade: 1s
phases:
  - name: onset
    duration: 10m
    tracks: [a.flac]
checkpoints:
  - {at: 2s, text: BP now}
  - {at: 1m, text: Sedation score}
"""

#: Where the banner is, whether its centre is really the banner (not covered), and whether the page scrolls.
WHERE_IS = """
const el = document.getElementById(arguments[0]);
const r = el.getBoundingClientRect();
const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
return {top: r.top, bottom: r.bottom, height: innerHeight, shown: el.offsetParent !== null && el.contains(hit),
        scrolls: document.documentElement.scrollHeight > innerHeight + 100, y: scrollY};
"""


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_due_checkpoint_stays_in_sight_at_every_scroll_position(driver, tmp_path: Path, width: int,  # noqa: F811
                                                               height: int) -> None:
    """As found: started from the playlist list (page scrolled down) or typing an observation, the
    1280x800 view showed no DUE at all and the panel by the form said "next: Sedation score"."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    with signed_in_chair(driver, tmp_path, PINNED_PLAYLIST) as daemon:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "state"), "textContent", "idle"))
        driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")  # the playlist list
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(tmp_path / "p.yaml")})
        wait.until(ec.visibility_of_element_located((By.ID, "cp-due")))
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "cp-panel-due-text"), "textContent", "BP now"))
        positions = {}
        for name, script in (("bottom", "window.scrollTo(0, document.documentElement.scrollHeight)"),
                             ("top", "window.scrollTo(0, 0)"),
                             ("middle", "window.scrollTo(0, document.documentElement.scrollHeight / 2)"),
                             ("typing an observation", "document.getElementById('obs-value').focus();"
                                                       "document.getElementById('obs-value').scrollIntoView()")):
            driver.execute_script(script)
            where = driver.execute_script(WHERE_IS, "cp-due")
            positions[name] = where["y"]
            assert where["scrolls"], "the page must be taller than the view, or this proves nothing"
            assert where["shown"] and where["top"] >= 0 and where["bottom"] <= where["height"], (name, where)
        assert positions["bottom"] > positions["middle"] > positions["top"] == 0
        beside = driver.execute_script(WHERE_IS, "cp-panel-due")  # still scrolled to the observation form
        assert beside["shown"] and beside["top"] >= 0 and beside["bottom"] <= beside["height"], beside
        assert not driver.find_element(By.ID, "cp-next").is_displayed()
        driver.save_screenshot(str(tmp_path / f"pinned-{width}x{height}.png"))
        driver.find_element(By.ID, "btn-ack-2").click()
        wait.until(ec.invisibility_of_element_located((By.ID, "cp-due")))
        wait.until(ec.visibility_of_element_located((By.ID, "cp-next")))
        assert [c["state"] for c in daemon.status()["checkpoints"]] == ["done", "upcoming"]


#: The brightest colour on screen (text or background of any visible element), as relative luminance 0..1.
BRIGHTEST = """
const lum = (c) => {
  const m = c.match(/rgba?\\(([\\d.]+), ([\\d.]+), ([\\d.]+)(?:, ([\\d.]+))?\\)/);
  if (!m || (m[4] !== undefined && Number(m[4]) === 0)) return 0;
  const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const alpha = m[4] === undefined ? 1 : Number(m[4]);   // over the black page
  return alpha * (0.2126 * lin(+m[1]) + 0.7152 * lin(+m[2]) + 0.0722 * lin(+m[3]));
};
let max = 0, what = "";
for (const el of document.querySelectorAll("body *")) {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || r.bottom < 0 || r.top > innerHeight || el.closest("[hidden]")) continue;
  const st = getComputedStyle(el);
  const here = Math.max(lum(st.backgroundColor), el.childElementCount ? 0 : lum(st.color));
  if (here > max) { max = here; what = `${el.tagName}#${el.id}.${el.className}`; }
}
return [max, what];
"""


def test_dim_mode_is_toggled_remembered_and_keeps_the_due_bar_pinned(driver, tmp_path: Path) -> None:  # noqa: F811
    """As found: the full-width yellow bar and buttons were the brightest things in a dark room, no dim mode."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    with signed_in_chair(driver, tmp_path, PINNED_PLAYLIST) as daemon:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "state"), "textContent", "idle"))
        send_request(daemon.config.socket_path, {"action": "start", "playlist": str(tmp_path / "p.yaml")})
        wait.until(ec.visibility_of_element_located((By.ID, "cp-due")))
        bright, _ = driver.execute_script(BRIGHTEST)
        driver.find_element(By.ID, "btn-dim").click()
        wait.until(lambda d: d.execute_script("return document.documentElement.classList.contains('dim')"))
        dim, brightest = driver.execute_script(BRIGHTEST)
        print(f"brightest colour on screen, relative luminance: bright {bright:.3f}, dim {dim:.3f} ({brightest})")
        assert bright > 0.6 and dim < 0.35, (bright, dim)
        driver.refresh()  # remembered by this browser
        wait.until(ec.visibility_of_element_located((By.ID, "cp-due")))
        assert driver.execute_script("return document.documentElement.classList.contains('dim')")
        assert driver.find_element(By.ID, "btn-dim").get_attribute("aria-pressed") == "true"
        driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
        where = driver.execute_script(WHERE_IS, "cp-due")
        assert where["shown"] and where["top"] >= 0 and where["bottom"] <= where["height"], where
        driver.save_screenshot(str(tmp_path / "dim.png"))
        driver.find_element(By.ID, "btn-dim").click()
        assert not driver.execute_script("return document.documentElement.classList.contains('dim')")
        assert driver.execute_script("return localStorage.getItem('session-player.dim')") == "0"
