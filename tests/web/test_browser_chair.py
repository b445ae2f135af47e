"""At the chair, in a real browser (headless Debian Chromium): choose a playlist, confirm with the
checklist, start it; then calmer music from the page and back.

The web server runs over a `FakeController` (the real session rules) with a real library
generation on disk, so the page's Start goes through the same name lookup as in the field.
"""

from __future__ import annotations

import pytest

from player.config import load_config
from player.control.fake import FakeController
from player.playlist.model import Phase, Playlist, Track
from player.web import WebServer
from tests.support.audio_files import write_audio
from tests.support.browser import sign_in
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture
from tests.web.test_library_names import make_library

pytestmark = pytest.mark.browser

CHECKLIST = ["headphones fitted", "eye mask"]


def test_choose_a_playlist_confirm_the_checklist_start_and_calmer_music(driver, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    config = load_config({"room": "Room 3", "data_dir": str(tmp_path / "data"), "web": {"port": 0},
                          "session": {"checklist": CHECKLIST, "require_checklist": True}})
    folder = make_library(config.data_dir, {
        "calm-evening.yaml": "name: Calm evening\ncrossfade: 4s\ncalmer: [music/c.flac]\nphases:\n"
                             "  - name: settling\n    duration: 10m\n    tracks: [music/a.flac]\n"
                             "  - name: peak\n    duration: 20m\n    tracks: [music/a.flac]\n",
        "iv-ketamine.yaml": "name: IV ketamine\nphases:\n  - name: peak\n    duration: 40m\n"
                            "    tracks: [music/a.flac]\n",
        "broken.yaml": "name: Broken\nphases: 7\n"})
    for name in ("a", "c"):
        write_audio(folder / "music" / f"{name}.flac", 200.0)
    chosen = folder / "calm-evening.yaml"
    calm = Playlist("Calm evening", chosen, 4.0,
                    (Phase("settling", 600.0, (Track(folder / "music/a.flac", duration_s=200.0),), 4.0),
                     Phase("peak", 1200.0, (Track(folder / "music/a.flac", duration_s=200.0),), 4.0)),
                    calmer=(Track(folder / "music/c.flac", duration_s=200.0),))
    controller = FakeController(config=config, playlists={str(chosen): calm})
    with WebServer(config, controller, tick_s=0.5) as server:
        sign_in(driver, server.url, config.token_path.read_text().strip())
        text_is("state", "idle")
        text_is("playlists", "Calm evening · 30:00 · 2 phase(s)")
        text_is("playlists", "broken · not valid:")
        buttons = {b.get_attribute("data-playlist"): b
                   for b in driver.find_elements(By.CSS_SELECTOR, "#playlists button")}
        assert set(buttons) == {"broken", "calm-evening", "iv-ketamine"}
        assert not buttons["broken"].is_enabled()

        buttons["calm-evening"].click()                   # asks first: nothing starts yet
        panel = wait.until(ec.visibility_of_element_located((By.ID, "start-confirm")))
        text_is("confirm-what", "Calm evening")
        assert controller.status()["state"] == "idle"
        confirm = driver.find_element(By.ID, "btn-confirm-start")
        assert not confirm.is_enabled() and driver.find_element(By.ID, "checklist-note").is_displayed()
        driver.find_element(By.ID, "check-0").click()
        assert not confirm.is_enabled()                   # both items are required
        driver.find_element(By.ID, "check-1").click()
        wait.until(ec.element_to_be_clickable((By.ID, "btn-confirm-start")))
        driver.save_screenshot(str(tmp_path / "confirm-start.png"))
        confirm.click()
        text_is("state", "playing")
        wait.until(ec.invisibility_of_element(panel))
        action, source, args = controller.submitted[-1]
        assert (action, source, args["playlist"], args["checked"]) == ("start", "web", str(chosen), CHECKLIST)
        started = next(r for r in controller.records if r["type"] == "session_started")
        assert started["details"]["playlist"] == "Calm evening"
        assert started["details"]["checklist"] == [{"item": i, "checked": True} for i in CHECKLIST]

        calmer = wait.until(ec.element_to_be_clickable((By.ID, "btn-calmer")))
        driver.find_element(By.CSS_SELECTOR, "#calmer-minutes option[value='10']").click()
        calmer.click()
        text_is("calmer-state", "Calmer music since")
        text_is("btn-calmer", "Back to the plan's music")
        assert controller.submitted[-1] == ("calmer", "web", {"minutes": 10.0})
        assert controller.status()["calmer"]["until_s"] is not None
        driver.save_screenshot(str(tmp_path / "calmer-on.png"))
        driver.find_element(By.ID, "btn-calmer").click()
        text_is("btn-calmer", "Calmer music")
        assert controller.submitted[-1] == ("calmer", "web", {"off": True})
        assert not driver.find_element(By.ID, "calmer-state").is_displayed()
    assert (tmp_path / "calmer-on.png").stat().st_size > 10_000


def test_the_default_start_asks_too_and_cancel_starts_nothing(driver, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)
    config = load_config({"room": "Room 3", "data_dir": str(tmp_path / "data"), "web": {"port": 0},
                          "session": {"default_playlist": "default.yaml"}})
    controller = FakeController(config=config)
    with WebServer(config, controller, tick_s=0.5) as server:
        sign_in(driver, server.url, config.token_path.read_text().strip())
        wait.until(ec.element_to_be_clickable((By.ID, "btn-start"))).click()
        wait.until(ec.visibility_of_element_located((By.ID, "start-confirm")))
        assert not driver.find_element(By.ID, "checklist").is_displayed()     # no checklist configured
        driver.find_element(By.ID, "btn-confirm-cancel").click()
        wait.until(ec.invisibility_of_element_located((By.ID, "start-confirm")))
        assert controller.submitted == [] and controller.status()["state"] == "idle"
        driver.find_element(By.ID, "btn-start").click()
        wait.until(ec.element_to_be_clickable((By.ID, "btn-confirm-start"))).click()
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "state"), "textContent", "playing"))
        assert controller.submitted[-1] == ("start", "web", {})
        # No calmer music in this playlist: the button says so instead of failing when pressed.
        assert not driver.find_element(By.ID, "btn-calmer").is_enabled()
        assert "no calmer music" in driver.find_element(By.ID, "btn-calmer").get_attribute("title")
