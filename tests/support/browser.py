"""Signing in to the chair page or the station page in real Chromium (one place, for every browser test)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def sign_in(driver, url: str, token: str, timeout_s: float = 30.0) -> None:
    """Open the page at `url` and sign in with `token`, as staff do (the page then loads its status)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url + "/")
    WebDriverWait(driver, timeout_s).until(ec.presence_of_element_located((By.ID, "token"))).send_keys(token)
    driver.find_element(By.ID, "sign-in").click()


@contextmanager
def signed_in_chair(driver, tmp_path: Path, playlist_yaml: str) -> Iterator:
    """A real daemon with its web page, a 30 s ``a.flac`` and `playlist_yaml` as ``p.yaml`` in `tmp_path`, signed in."""
    from player.daemon import Daemon
    from player.web import WebServer
    from tests.engine.conftest import daemon_config
    from tests.support.audio_files import write_audio

    write_audio(tmp_path / "a.flac", 30.0)
    (tmp_path / "p.yaml").write_text(playlist_yaml)
    with Daemon(daemon_config(tmp_path / "data", web={"enabled": True, "port": 0})) as daemon:
        server = daemon.part(WebServer)
        assert server is not None, daemon.faults
        sign_in(driver, server.url, daemon.config.token_path.read_text().strip())
        yield daemon
