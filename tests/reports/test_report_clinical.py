"""Checkpoints and observations in the report (JSON, CSV, HTML with its BP/HR plot), from a real daemon's log."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from player.clock import FakeClock
from player.control import send_request
from player.daemon import Daemon
from player.reports.report import build_report, render_report
from tests.session.conftest import daemon_config
from tests.session.test_daemon_checkpoints import PLAYLIST, to
from tests.support.audio_files import write_audio


def recorded(tmp_path: Path) -> tuple[Path, str]:
    for name in ("a", "b"):
        write_audio(tmp_path / f"{name}.flac", 30.0)
    playlist = tmp_path / "p.yaml"
    playlist.write_text(PLAYLIST)
    clock = FakeClock()
    config = daemon_config(tmp_path / "data", session={"checkpoint_grace_s": 60})
    with Daemon(config, clock=clock) as daemon:
        sock = daemon.config.socket_path
        sid = send_request(sock, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 30.0)
        send_request(sock, {"action": "observe", "kind": "hr", "value": 70})
        to(daemon, clock, 45.0)
        send_request(sock, {"action": "observe", "kind": "bp", "value": "128/82", "note": "sitting <b>"})
        to(daemon, clock, 130.0)
        send_request(sock, {"action": "ack"})
        to(daemon, clock, 300.0)                        # the 4 min HR checkpoint is missed at 5:00
        send_request(sock, {"action": "observe", "kind": "bp", "value": "141/90"})
        send_request(sock, {"action": "observe", "kind": "hr", "value": 88})
        send_request(sock, {"action": "observe", "kind": "note", "value": "=SUM(A1) calm"})
        to(daemon, clock, 400.0)
        send_request(sock, {"action": "stop"})
    return tmp_path / "data", sid


def test_the_report_shows_checkpoints_and_observations_in_every_format(tmp_path: Path) -> None:
    data_dir, sid = recorded(tmp_path)
    report = build_report(data_dir, sid)
    assert [(c["at_s"], c["text"], c["state"], c["done_at_s"], c["by"], c["observation"])
            for c in report["checkpoints"]] == [
        (40.0, "BP and sedation score", "done", 45.0, "cli", "bp"), (120.0, "HR", "done", 130.0, "cli", None),
        (240.0, "HR", "missed", None, None, None), (600.0, "Check the headphones", "upcoming", None, None, None),
        (1200.0, "BP before the end", "upcoming", None, None, None)]
    obs = report["observations"]
    assert list(obs) == ["hr", "bp", "note"]
    assert [(o["elapsed_s"], o["systolic"], o["diastolic"]) for o in obs["bp"]] == [(45.0, 128, 82),
                                                                                  (300.0, 141, 90)]
    assert [o["value"] for o in obs["hr"]] == [70, 88] and obs["bp"][0]["note"] == "sitting <b>"
    assert json.loads(render_report(report, "json"))["observations"]["hr"][1]["value"] == 88

    rows = list(csv.DictReader(io.StringIO(render_report(report, "csv"))))
    cps = [r for r in rows if r["kind"] == "checkpoint"]
    assert [r["detail"] for r in cps][:3] == ["BP and sedation score: done; by cli (bp observation)",
                                              "HR: done; by cli", "HR: missed"]
    assert [r["detail"] for r in rows if r["kind"] == "observation:bp"] == ["128/82 mmHg (sitting <b>)",
                                                                             "141/90 mmHg"]
    assert [r["detail"] for r in rows if r["kind"] == "observation:note"] == ["'=SUM(A1) calm"]  # no formula

    page = render_report(report, "html")
    assert "<h2>Checkpoints</h2>" in page and "<h2>Observations</h2>" in page and "<h3>BP (mmHg)</h3>" in page
    assert "sitting &lt;b&gt;" in page and "sitting <b>" not in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    svg = re.search(r'<svg class="vit" id="vitals".*?</svg>', page).group(0)
    sys_line = re.search(r'<polyline class="sys" points="([^"]+)"', svg).group(1)
    total = 1800.0          # the timeline's span: the planned phases (10 + 20 min)
    xs = [float(p.split(",")[0]) for p in sys_line.split()]
    assert xs == [round(1000 * 45.0 / total, 2), round(1000 * 300.0 / total, 2)]   # aligned with the phase bars
    assert page.index('id="planned"') < page.index('id="vitals"') < page.index("<h2>Phases</h2>")


def test_a_report_without_checkpoints_or_observations_says_so(tmp_path: Path) -> None:
    from player.reports.html_page import render_html
    from player.reports.report import summarize

    page = render_html(summarize("s", []))
    assert "No checkpoints in this playlist." in page and "No observations recorded." in page
    assert 'id="vitals"' not in page
