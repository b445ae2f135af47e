"""The staff card prints on one page, A4 and Letter: real Chromium prints it to PDF, poppler counts.

Chromium honours a CSS ``@page { size }``, so each paper size is printed from a copy of the card
with that one rule added; the card itself leaves the size to the printer.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CARD = Path(__file__).resolve().parents[2] / "docs" / "staff-card.html"
CHROMIUM = "/usr/bin/chromium"


def _print_pages(html: Path, pdf: Path) -> int:
    subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--no-pdf-header-footer", f"--user-data-dir={pdf.parent / 'profile'}",
         f"--print-to-pdf={pdf}", html.as_uri()],
        check=True, capture_output=True, timeout=120)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture
def tools():
    missing = [t for t in (CHROMIUM, "pdfinfo") if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (chromium, poppler-utils; './bootstrap.sh test' installs them)")


@pytest.mark.parametrize("size", ["A4", "letter"])
def test_staff_card_prints_on_one_page(tools, tmp_path, size):
    html = tmp_path / "card.html"
    html.write_text(CARD.read_text(encoding="utf-8").replace(
        "</style>", f"@page {{ size: {size}; }}\n</style>", 1), encoding="utf-8")
    assert _print_pages(html, tmp_path / "card.pdf") == 1


def test_page_count_sees_an_overflowing_card(tools, tmp_path):
    """The check can fail: the card with its text repeated three times takes more than a page."""
    text = CARD.read_text(encoding="utf-8")
    body = text[text.index("<body>") + 6:text.index("</body>")]
    html = tmp_path / "long.html"
    html.write_text(text.replace("</body>", body * 2 + "</body>", 1), encoding="utf-8")
    assert _print_pages(html, tmp_path / "long.pdf") > 1
