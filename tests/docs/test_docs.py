"""The documentation stays whole: every relative link and #anchor resolves, every config key is in
the technician's reference table, and the README keeps the two set-up commands CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from player.config import describe_schema

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", ROOT / "hardware" / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [m.group(1) for m in LINK.finditer(text) if not re.match(r"[a-z]+:", m.group(1))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(doc):
    broken = []
    for link in _links(doc):
        target, _, anchor = link.partition("#")
        path = (doc.parent / target).resolve() if target else doc
        if not path.exists():
            broken.append(f"{link}: no file {path}")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{link}: no heading #{anchor} in {path.name}")
    assert not broken, "\n".join(broken)


def test_slug_matches_githubs_rule():
    assert _slug("Checking the wiring: `session-player hw-test`") == "checking-the-wiring-session-player-hw-test"
    assert _slug("2. Prepare the SD card: Raspberry Pi OS **Lite**") == "2-prepare-the-sd-card-raspberry-pi-os-lite"


def test_every_config_key_is_in_the_technicians_reference():
    text = (ROOT / "docs" / "technician.md").read_text(encoding="utf-8")
    missing = [key for key, _default, _doc in describe_schema() if f"| `{key}` |" not in text]
    assert not missing, f"keys missing from docs/technician.md's configuration reference: {missing}"


def test_readme_keeps_the_two_setup_commands_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./bootstrap.sh demo" in readme and "./bootstrap.sh test" in readme
    assert "exec ./bootstrap.sh test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
