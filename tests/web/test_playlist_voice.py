"""The page's playlist details carry what the import heard: where a voice speaks, files not checked."""

from __future__ import annotations

import json

import pytest

from player.config import load_config
from player.control.fake import FakeController
from player.web import WebServer
from tests.support.audio_files import write_audio
from tests.support.browser import sign_in
from tests.web.test_browser import WAIT_S, driver  # noqa: F401 - the fixture
from tests.web.test_library_names import make_library

CALM = ("name: Calm\nphases:\n  - name: peak\n    duration: 10m\n"
        "    tracks: [music/a.flac, music/b.flac, music/c.flac]\n")


def library_with_voices(data_dir):
    folder = make_library(data_dir, {"calm.yaml": CALM})
    for name in "abc":
        write_audio(folder / "music" / f"{name}.flac", 30.0)
    (folder / ".import.json").write_text(json.dumps({"voice": {
        "music/a.flac": {"checked": True, "ranges": [], "reason": ""},
        "music/b.flac": {"checked": True, "ranges": [[12.0, 40.2], [55.0, 70.0]], "reason": ""},
        "music/c.flac": {"checked": False, "ranges": [], "reason": "onnxruntime is not installed"}}}))
    return folder


def test_details_list_the_files_to_listen_to(http, web_config) -> None:
    library_with_voices(web_config.data_dir)
    [row] = http.get("/api/playlists?details=1").json()["details"]
    assert row["voice"] == [
        {"file": "music/b.flac", "ranges": [[12.0, 40.2], [55.0, 70.0]], "checked": True, "reason": ""},
        {"file": "music/c.flac", "ranges": [], "checked": False, "reason": "onnxruntime is not installed"}]


@pytest.mark.browser
def test_the_page_shows_where_to_listen_under_the_playlist(driver, tmp_path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_S)
    config = load_config({"room": "Room 3", "data_dir": str(tmp_path / "data"), "web": {"port": 0}})
    library_with_voices(config.data_dir)
    with WebServer(config, FakeController(config=config), tick_s=0.5) as server:
        sign_in(driver, server.url, config.token_path.read_text().strip())
        note = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#playlists .voice-note")))
        assert note.text.splitlines() == ["music/b.flac: spoken voice 0:12-0:41, 0:55-1:10",
                                          "1 file(s) not checked for a spoken voice (onnxruntime is not installed)"]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", note)
        driver.save_screenshot(str(tmp_path / "voice-note.png"))
    assert (tmp_path / "voice-note.png").stat().st_size > 10_000
