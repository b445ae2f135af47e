"""The station page in real (headless Debian) Chromium: a tile per chair, live, most urgent first."""

from __future__ import annotations

import json

import pytest

from player.station.server import StationServer
from tests.mqtt.station_rig import FakeChair, StationApi, station_config
from tests.support.browser import sign_in
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the Chromium fixture

pytestmark = pytest.mark.browser

#: The tiles as the page shows them, read in one go (the page redraws tiles that change).
TILES_JS = """return [...document.querySelectorAll('article.tile')].map(t => ({
  slug: t.dataset.slug, cls: t.className, text: t.innerText,
  href: (t.querySelector('.room a') || {}).href || null}));"""


def tiles(browser) -> list[dict]:
    return browser.execute_script(TILES_JS)


def test_station_page_shows_every_chair_live_sorted_by_urgency(driver, broker, tmp_path):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)
    config = station_config(broker.port, tmp_path)
    rooms = ["Room 1", "Room 2", "Room 3", "Salle Été"]
    chairs = [FakeChair(broker.port, tmp_path / f"c{n}", room, web_url=f"http://chair{n}.clinic:8080/")
              for n, room in enumerate(rooms)]
    try:
        with StationServer(config, tick_s=1.0, client_id="station-browser") as station:
            api = StationApi(station, config)
            for chair in chairs[:3]:
                chair.controller.submit("start", source="button", playlist="Ketamine 40 min")
            chairs[0].controller.set_state_for_test(phase="Onset", phase_remaining_s=1200.0)
            chairs[1].controller.set_state_for_test(phase="Peak", phase_remaining_s=300.0, elapsed_s=1000.0,
                                                    checkpoints=[{"at_s": 990.0, "text": "BP check",
                                                                  "state": "due", "done_at_s": None}])
            chairs[2].controller.set_state_for_test(phase="Settling", phase_remaining_s=800.0)

            sign_in(driver, station.url, api.token)
            wait.until(lambda d: len(tiles(d)) == 4 and "due" in tiles(d)[0]["cls"].split())
            shown = tiles(driver)
            order = [t["slug"] for t in shown]
            assert order == ["room-2", "room-3", "room-1", "salle-ete"], order  # due, least time left, idle
            assert "DUE: BP check" in shown[0]["text"]
            assert "Peak" in shown[0]["text"] and "Settling" in shown[1]["text"]
            assert shown[2]["href"] == "http://chair0.clinic:8080/" and "Room 1" in shown[2]["text"]
            assert "Salle Été" in shown[3]["text"] and "online" in shown[3]["text"]

            # A fault arrives live and moves its chair to the top.
            chairs[2].controller.set_state_for_test(faults=["audio device lost: pulse"])
            wait.until(lambda d: tiles(d)[0]["slug"] == "room-3")
            assert "audio device lost" in tiles(driver)[0]["text"] and "fault" in tiles(driver)[0]["cls"]
            driver.set_window_size(1920, 1080)
            driver.save_screenshot(str(tmp_path / "station-wall.png"))

            # A chair goes away: its tile says so.
            chairs[3].close()
            wait.until(lambda d: "OFFLINE" in next(t["text"] for t in tiles(d) if t["slug"] == "salle-ete"))
            driver.set_window_size(800, 1200)
            driver.save_screenshot(str(tmp_path / "station-tablet.png"))
    finally:
        for chair in chairs:
            chair.close()
    assert (tmp_path / "station-wall.png").stat().st_size > 10_000
    print(f"screenshots in {tmp_path}")


def test_a_chair_with_bluetooth_headphones_shows_them_on_its_tile(driver, broker, tmp_path):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)
    config = station_config(broker.port, tmp_path)
    chair = FakeChair(broker.port, tmp_path / "c", "Room 4")
    headset = {"address": "00:1B:66:AA:BB:01", "name": "WH-1000XM4", "connected": True, "battery_percent": 40,
               "volume_put_back": 0, "error": None}
    try:
        with StationServer(config, tick_s=1.0, client_id="station-browser-bt") as station:
            api = StationApi(station, config)
            chair.controller.submit("start", source="button", playlist="Ketamine 40 min")
            chair.controller.set_state_for_test(bluetooth=headset)
            sign_in(driver, station.url, api.token)
            wait.until(lambda d: tiles(d) and "Headphones connected, battery 40 %" in tiles(d)[0]["text"])
            chair.controller.set_state_for_test(bluetooth=dict(headset, connected=False),
                                                faults=["headphones disconnected"], state="faulted")
            wait.until(lambda d: "Headphones NOT CONNECTED, battery 40 %" in tiles(d)[0]["text"])
            assert "headphones disconnected" in tiles(driver)[0]["text"] and "fault" in tiles(driver)[0]["cls"]
    finally:
        chair.close()


def test_a_chairs_javascript_link_never_becomes_a_link(driver, broker, tmp_path):  # noqa: F811
    """Chair room-a said ``"room": "Room B"`` and ``"web_url": "javascript:..."``: its tile's link ran script."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from player.config import MqttConfig
    from player.mqtt.client import MqttLink
    from tests.mqtt.conftest import until

    wait = WebDriverWait(driver, WAIT_S)
    config = station_config(broker.port, tmp_path)
    rogue = MqttLink(MqttConfig(host="127.0.0.1", port=broker.port, keepalive_s=5), "rogue")
    honest = FakeChair(broker.port, tmp_path / "b", "Room B", web_url="http://room-b.clinic:8080/")
    rogue.start()
    try:
        with StationServer(config, tick_s=1.0, client_id="station-browser-trust") as station:
            api = StationApi(station, config)
            assert until(lambda: rogue.connected)
            rogue.publish("session-player/room-a/status", json.dumps(
                {"room": "Room B", "state": "playing", "web_url": "javascript:document.title='pwned'",
                 "faults": "not a list", "sent_at": 12}), retain=True)
            sign_in(driver, station.url, api.token)
            wait.until(lambda d: {t["slug"] for t in tiles(d)} == {"room-a", "room-b"})
            shown = {t["slug"]: t for t in tiles(driver)}
            assert shown["room-a"]["href"] is None and "Room B" not in shown["room-a"]["text"]
            assert shown["room-b"]["href"] == "http://room-b.clinic:8080/"
            assert not driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript' i]")
            driver.find_element(By.CSS_SELECTOR, "#chair-room-a .room").click()
            assert driver.title != "pwned"
    finally:
        rogue.close()
        honest.close()
