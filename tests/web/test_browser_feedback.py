"""After the session, in a real browser on the real daemon: the music feedback form (answers, a changed answer,
a note with a direction override refused), and the take-home sheet printed by Chromium on one A4 and one
Letter page with the defaults and a 2-hour session's track list."""

from __future__ import annotations

import base64
import re
import threading
from pathlib import Path

import pytest

from player.config import load_config
from player.control import send_request
from player.daemon import Daemon
from player.engine.eventlog import read_events
from player.engine.feedback_log import FEEDBACK_FILE
from player.reports.music import render_music
from player.web import WebServer
from tests.engine.conftest import daemon_config
from tests.support.audio_files import write_audio
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

PLAYLIST = """\
name: Feedback in the browser
crossfade: 1s
phases:
  - name: settling
    duration: 10m
    tracks: [music/rain.flac]
  - name: peak
    duration: 10m
    tracks: [music/sea.flac]
"""
FILES = ("music/rain.flac", "music/sea.flac")


def row(driver, item: str):  # noqa: F811
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'li.fb-row[data-item="{item}"]')


def pressed(driver, item: str) -> list[str]:  # noqa: F811
    """The answer shown as given (read in one script: the list is drawn again after every answer)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('li.fb-row')].filter((li) => li.dataset.item === arguments[0])"
        ".flatMap((li) => [...li.querySelectorAll('button[aria-pressed=true]')].map((b) => b.dataset.answer));",
        item)


def test_feedback_form_after_the_session(driver, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    def answer(item: str, value: str, note: str | None = None) -> None:
        r = row(driver, item)
        if note is not None:
            field = r.find_element(By.CSS_SELECTOR, ".fb-note")
            field.clear()
            field.send_keys(note)
        r.find_element(By.CSS_SELECTOR, f'button[data-answer="{value}"]').click()

    write_audio(tmp_path / "music" / "rain.flac", 60.0, tags={"TITLE": "Rain on leaves", "ARTIST": "Field"})
    write_audio(tmp_path / "music" / "sea.flac", 60.0)
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    config = daemon_config(tmp_path / "data", web={"enabled": True, "port": 0})
    with Daemon(config) as daemon:
        server = daemon.part(WebServer)
        assert server is not None, daemon.faults
        started = {f: threading.Event() for f in FILES}
        daemon.controller.subscribe(lambda r: r["type"] == "track_started" and started[r["details"]["file"]].set())
        driver.get(server.url + "/")
        wait.until(ec.presence_of_element_located((By.ID, "token"))).send_keys(
            daemon.config.token_path.read_text().strip())
        driver.find_element(By.ID, "sign-in").click()
        text_is("state", "idle")
        assert not driver.find_element(By.ID, "feedback").is_displayed()     # no finished session yet
        socket = daemon.config.socket_path
        sid = send_request(socket, {"action": "start", "playlist": str(tmp_path / "p.yaml")})["session_id"]
        assert started[FILES[0]].wait(WAIT_S)
        send_request(socket, {"action": "advance"})
        assert started[FILES[1]].wait(WAIT_S)
        send_request(socket, {"action": "stop"})

        wait.until(ec.visibility_of_element_located((By.ID, "feedback")))    # shown once the session ended
        text_is("fb-tracks", "Rain on leaves — Field")
        text_is("fb-tracks", "sea")                                          # no tags: the file's name
        text_is("fb-phases", "peak")
        answer("music/rain.flac", "helped")
        text_is("message", "Music feedback saved: helped")
        wait.until(lambda d: pressed(d, "music/rain.flac") == ["helped"])

        answer("music/sea.flac", "unwelcome", note="too \u202eloud")        # would read backwards in a report
        text_is("message", "note must be one line of at most 200 characters")
        assert pressed(driver, "music/sea.flac") == []
        answer("music/sea.flac", "unwelcome", note="the waves felt too loud")
        text_is("message", "Music feedback saved: unwelcome")
        wait.until(lambda d: pressed(d, "music/sea.flac") == ["unwelcome"])

        answer("music/rain.flac", "neutral")                                 # changed: the latest counts
        wait.until(lambda d: pressed(d, "music/rain.flac") == ["neutral"])
        answer("peak", "helped")
        wait.until(lambda d: pressed(d, "peak") == ["helped"])
        text_is("fb-count", "3 answered")
        assert row(driver, "music/sea.flac").find_element(By.CSS_SELECTOR, ".fb-note").get_attribute(
            "value") == "the waves felt too loud"
        driver.save_screenshot(str(tmp_path / "feedback.png"))

        driver.get(f"{server.url}/api/sessions/{sid}/report?format=music")  # the page's "music list" link
        text = driver.find_element(By.TAG_NAME, "body").text
        assert "Rain on leaves" in text and "The rest of today" in text and "Do not drive until tomorrow" in text
        assert sid not in text and "too loud" not in text and "Room 3" not in text

    lines = read_events(tmp_path / "data" / "sessions" / sid / FEEDBACK_FILE)
    assert [(r["source"], r["details"]) for r in lines] == [
        ("web", {"track": "music/rain.flac", "answer": "helped"}),
        ("web", {"track": "music/sea.flac", "answer": "unwelcome", "note": "the waves felt too loud"}),
        ("web", {"track": "music/rain.flac", "answer": "neutral"}),
        ("web", {"phase": "peak", "answer": "helped"}),
    ]
    assert (tmp_path / "feedback.png").stat().st_size > 10_000


#: A 2-hour session: 30 tracks of about 4 minutes, titles and artists of a typical length.
TWO_HOURS = [{"title": f"{name} {n}", "artist": artist}
             for n in range(1, 4)
             for name, artist in (("Slow light over the harbour", "Quiet Ensemble"), ("Morning field", "A. Reyes"),
                                  ("Breathing room (part two)", "Lumen Trio"), ("Under the linden", "Hollis"),
                                  ("Held", "Marta Lindqvist"), ("Tidal", "Northern Strings"),
                                  ("A long way home", "Sora"), ("Clearing", "Quiet Ensemble"),
                                  ("Still water", "Eun-ji Park"), ("Return", "Lumen Trio"))]
PAPER_IN = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}


def printed_pages(driver, html: str, tmp_path: Path, paper: str) -> int:  # noqa: F811
    """Chromium's print to PDF of the page: how many pages (the page tree's /Count)."""
    path = tmp_path / "music.html"
    path.write_text(html, encoding="utf-8")
    driver.get(path.as_uri())
    width, height = PAPER_IN[paper]
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": width,
                                                                       "paperHeight": height})["data"])
    (tmp_path / f"music-{paper}.pdf").write_bytes(pdf)
    counts = {int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count (\d+)", pdf)
              + re.findall(rb"/Count (\d+)[^>]*?/Type\s*/Pages\b", pdf)}
    assert len(counts) == 1, counts
    return counts.pop()


@pytest.mark.parametrize("paper", list(PAPER_IN))
def test_the_take_home_sheet_prints_on_one_page(driver, tmp_path: Path, paper: str) -> None:  # noqa: F811
    assert len(TWO_HOURS) == 30
    html = render_music(TWO_HOURS, load_config({}).take_home)
    assert "The rest of today" in html and "Your follow-up appointment" in html
    assert printed_pages(driver, html, tmp_path, paper) == 1
    # The check can fail: four times the list does not fit, and the count says so.
    assert printed_pages(driver, render_music(TWO_HOURS * 4, load_config({}).take_home), tmp_path, paper) > 1
