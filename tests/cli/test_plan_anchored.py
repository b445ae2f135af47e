"""`check` and `plan` on checkpoints anchored to the infusion and a recovery phase `until: infusion_end + 60m`,
through a real subprocess: the shipped IV template, and a bad anchor named at FILE:LINE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.audio_files import shipped_playlists


@pytest.fixture(scope="module")
def iv(pytestconfig) -> Path:
    shipped = shipped_playlists(pytestconfig.cache.mkdir("session-player-shipped-playlists"))
    return next(p for p in shipped if p.name == "iv-ketamine-40min.yaml")


def cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_the_iv_template_plans_its_checkpoints_relative_to_the_infusion(iv: Path) -> None:
    result = cli("plan", iv, "--start", "09:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CHECKPOINTS (1; silent to the patient, on the session clock)" in out
    assert "   5:00  09:05:00  BP and HR before the infusion" in out
    assert ("CHECKPOINTS ON THE INFUSION (from when staff record it: session-player infusion start|end)\n"
            "  15 min after infusion start, every 15 min until infusion end: BP and HR\n"
            "  15 min after infusion end, every 15 min until 45 min after infusion end: BP and HR in recovery\n"
            "  60 min after infusion end: discharge check\n") in out
    assert ("recovery lasts at least until 65 min after the infusion's end (until: infusion_end + 65m); while no "
            "end is recorded its planned 40:00 holds") in out
    data = json.loads(cli("plan", iv, "--json").stdout)
    assert data["phase_until"] == [{"phase": "recovery", "after": "infusion_end", "margin_s": 3900.0}]
    assert data["checkpoints"][1] == {"at_s": 900.0, "text": "BP and HR", "after": "infusion_start",
                                      "until": "infusion_end"}


def test_check_names_a_bad_anchor_at_its_line(iv: Path) -> None:
    bad = iv.parent / "cli-bad-anchor.yaml"
    bad.write_text("name: Bad anchor\nphases:\n  - name: onset\n    duration: 30m\n"
                   "    tracks: [demo-audio/onset/*]\n    until: infusion_start + 10m\n"
                   "checkpoints:\n  - {at: 15m, after: drip_start, text: BP}\n")
    result = cli("check", bad)
    assert result.returncode == 1
    assert (f"{bad}:6: error: phase 'onset': until must be infusion_end + DURATION, e.g. until: infusion_end + 60m; "
            "'infusion_start' is not an event a phase can last until") in result.stdout
    assert (f"{bad}:8: error: after: 'drip_start' is not an event a checkpoint can count from; use infusion_start "
            "or infusion_end (recorded by session-player infusion start|end)") in result.stdout
