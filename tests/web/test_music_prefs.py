"""Music preferences at the chair: the routes over real sockets, and the intake in real Chromium.

The library is real (a generation on disk with tagged FLAC files), so the flags come from the
files' real tags read by mutagen; the session is the `FakeController` (the real session rules).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from player.config import Config, load_config
from player.control.fake import FakeController
from player.core.music_prefs import SUGGESTED, SYNONYMS
from player.web import WebServer
from tests.support.audio_files import write_audio
from tests.support.browser import sign_in
from tests.web.conftest import Http
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture
from tests.web.test_library_names import make_library

CALM = ("name: Calm evening\ncalmer: [music/c.flac]\nphases:\n  - name: settling\n    duration: 10m\n"
        "    tracks: [music/a.flac]\n  - name: peak\n    duration: 20m\n    tracks: [music/b.flac]\n")
PLAIN = "name: Plain\nphases:\n  - name: peak\n    duration: 10m\n    tracks: [music/c.flac]\n"


def tagged_library(data_dir: Path) -> Path:
    folder = make_library(data_dir, {"calm-evening.yaml": CALM, "plain.yaml": PLAIN, "broken.yaml": "phases: 7\n"})
    write_audio(folder / "music/a.flac", 60.0, tags={"TITLE": "Evening Hymn", "GENRE": "Sacred"})
    write_audio(folder / "music/b.flac", 60.0, tags={"TITLE": "Open Sky", "COMMENT": "solo piano"})
    write_audio(folder / "music/c.flac", 60.0, tags={"TITLE": "Drift", "ARTIST": "The Choirboys"})
    return folder


@pytest.fixture
def web_library(web_config: Config) -> Path:
    return tagged_library(web_config.data_dir)


def test_the_intake_offers_suggestions_loudness_and_the_synonyms(http: Http) -> None:
    got = http.get("/api/music-preferences")
    assert got.status == 200
    assert got.json() == {"suggested": list(SUGGESTED), "loudness": ["as_planned", "quieter"], "quieter_db": 6.0,
                          "synonyms": {k: list(v) for k, v in SYNONYMS.items()}}
    assert http.get("/api/music-preferences", auth=False).status == 401
    assert http.get("/api/music-preferences/flags?avoid=choir", auth=False).status == 401


def test_flags_name_the_track_tag_and_word_and_never_match_parts_of_words(http: Http, web_library: Path) -> None:
    got = http.get("/api/music-preferences/flags?playlist=calm-evening&avoid=religious&avoid=Piano&avoid=choir")
    assert got.status == 200
    assert got.json() == {"playlist": "calm-evening", "avoid": ["religious", "piano", "choir"], "flags": [
        {"file": "music/a.flac", "tag": "title", "text": "Evening Hymn", "word": "Hymn", "item": "religious",
         "says": 'title "Evening Hymn" has "Hymn" (avoid: religious)'},
        {"file": "music/a.flac", "tag": "genre", "text": "Sacred", "word": "Sacred", "item": "religious",
         "says": 'genre "Sacred" has "Sacred" (avoid: religious)'},
        {"file": "music/b.flac", "tag": "comment", "text": "solo piano", "word": "piano", "item": "piano",
         "says": 'comment "solo piano" has "piano" (avoid: piano)'}]}   # c.flac: "Choirboys" is not "choir"
    assert http.get("/api/music-preferences/flags?playlist=plain&avoid=drums").json()["flags"] == []
    assert http.get("/api/music-preferences/flags?playlist=plain").json()["flags"] == []


@pytest.mark.parametrize("query,status,says", [
    ("playlist=nope&avoid=choir", 404, "no playlist 'nope' in the library"),
    ("playlist=../etc/passwd&avoid=choir", 404, "never by a path"),
    ("avoid=choir", 404, "session.default_playlist is not set"),
    ("playlist=broken&avoid=choir", 409, "not valid"),
    ("playlist=plain&" + "&".join(f"avoid=x{i}" for i in range(21)), 400, "at most 20 items"),
    ("playlist=plain&avoid=" + "x" * 41, 400, "at most 40 characters"),
])
def test_flags_refuse_what_they_cannot_check(http: Http, web_library: Path, query: str, status: int,
                                             says: str) -> None:
    got = http.get(f"/api/music-preferences/flags?{query}")
    assert got.status == status and says in got.json()["error"]
    assert str(web_library) not in got.body.decode()


def test_start_with_preferences_records_them_and_bad_ones_start_nothing(http: Http,
                                                                        controller: FakeController) -> None:
    bad = http.control("start", preferences={"avoid": ["choir"], "loudness": "louder"})
    assert bad.status == 400 and "loudness must be one of" in bad.json()["error"]
    assert controller.status()["state"] == "idle"
    ok = http.control("start", preferences={"avoid": ["Choir", "nothing religious"], "loudness": "quieter"})
    assert ok.status == 200
    record = next(r for r in controller.records if r["type"] == "music_preferences")
    assert record["source"] == "web"
    assert record["details"] == {"avoid": ["choir", "nothing religious"], "loudness": "quieter", "level_db": -18.0}


@pytest.mark.browser
def test_the_intake_flags_tracks_before_start_and_goes_with_the_start(driver, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)

    def text_is(element_id: str, text: str) -> None:
        wait.until(ec.text_to_be_present_in_element_attribute((By.ID, element_id), "textContent", text))

    config = load_config({"room": "Room 3", "data_dir": str(tmp_path / "data"), "web": {"port": 0}})
    tagged_library(config.data_dir)
    controller = FakeController(config=config)
    with WebServer(config, controller, tick_s=0.5) as server:
        sign_in(driver, server.url, config.token_path.read_text().strip())
        text_is("playlists", "Calm evening")
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#playlists button[data-playlist='calm-evening']")))
        driver.find_element(By.CSS_SELECTOR, "#playlists button[data-playlist='calm-evening']").click()
        wait.until(ec.visibility_of_element_located((By.ID, "music-prefs")))
        text_is("prefs-suggested", "religious")
        assert not driver.find_element(By.ID, "prefs-flags").is_displayed()     # nothing asked: nothing flagged

        religious = SUGGESTED.index("religious")
        driver.find_element(By.ID, f"prefs-{religious}").click()
        driver.find_element(By.ID, "prefs-other").send_keys("piano, harp")
        text_is("prefs-flags", 'music/b.flac: comment "solo piano" has "piano" (avoid: piano)')
        text_is("prefs-flags", 'music/a.flac: title "Evening Hymn" has "Hymn" (avoid: religious)')
        text_is("prefs-note", "2 track(s) of this playlist match: choose another playlist")
        driver.save_screenshot(str(tmp_path / "prefs-flagged.png"))

        # Staff choose another playlist: the answers stay, the flags are the new playlist's.
        driver.find_element(By.CSS_SELECTOR, "#playlists button[data-playlist='plain']").click()
        text_is("confirm-what", "Plain")
        text_is("prefs-note", "No track's title, artist, album, genre or comment matches")
        assert not driver.find_element(By.ID, "prefs-flags").is_displayed()
        driver.find_element(By.ID, "prefs-loudness-quieter").click()
        driver.find_element(By.ID, "btn-confirm-start").click()
        text_is("state", "playing")
        action, source, args = controller.submitted[-1]
        assert (action, source) == ("start", "web") and args["playlist"].endswith("plain.yaml")
        assert args["preferences"].avoid == ("religious", "piano", "harp")
        assert args["preferences"].loudness == "quieter"
        record = next(r for r in controller.records if r["type"] == "music_preferences")
        assert record["details"] == {"avoid": ["religious", "piano", "harp"], "loudness": "quieter",
                                     "level_db": min(config.volume.default_db, config.volume.max_db) - 6.0}
        assert driver.find_element(By.ID, "prefs-other").get_attribute("value") == ""    # cleared for the next one
        assert not driver.find_element(By.ID, f"prefs-{religious}").is_selected()
    assert (tmp_path / "prefs-flagged.png").stat().st_size > 10_000
