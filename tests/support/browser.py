"""Signing in to the chair page or the station page in real Chromium (one place, for every browser test)."""

from __future__ import annotations


def sign_in(driver, url: str, token: str, timeout_s: float = 30.0) -> None:
    """Open the page at `url` and sign in with `token`, as staff do (the page then loads its status)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url + "/")
    WebDriverWait(driver, timeout_s).until(ec.presence_of_element_located((By.ID, "token"))).send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
