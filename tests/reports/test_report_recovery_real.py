"""The recovery course and the checklist answers in the report, from logs a REAL daemon wrote.

The daemon runs the real engine on the fake output (real records, fsynced) on a fake clock;
staff observe over the real control socket, as `session-player observe` does. The checklist
session starts from the shipped config example as it is (systemd/config.example.yaml, which
the Debian package installs as /etc/session-player/config.yaml), only pointed at a test data
dir with the simulated output.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import yaml

from player.clock import FakeClock
from player.control import send_request
from player.daemon import Daemon
from player.reports.report import build_report, render_report
from tests.engine.conftest import daemon_config
from tests.engine.test_daemon_checkpoints import to
from tests.support.audio_files import write_audio

ROOT = Path(__file__).resolve().parents[2]
PLAYLIST = """\
name: Recovering
crossfade: 2s
phases:
  - name: peak
    duration: 2m
    tracks: [a.flac]
  - name: recovery
    duration: 60m
    tracks: [b.flac]
"""
RECOVERY_AT_S = 120.0


def _library(tmp_path: Path) -> Path:
    for name in ("a", "b"):
        write_audio(tmp_path / f"{name}.flac", 30.0)
    playlist = tmp_path / "p.yaml"
    playlist.write_text(PLAYLIST)
    return playlist


def test_the_report_shows_how_each_recovery_symptom_resolved(tmp_path: Path) -> None:
    playlist = _library(tmp_path)
    clock = FakeClock()
    with Daemon(daemon_config(tmp_path / "data"), clock=clock) as daemon:
        sock = daemon.config.socket_path
        sid = send_request(sock, {"action": "start", "playlist": str(playlist)})["session_id"]

        def observe(at_s: float, kind: str, value: object) -> None:
            to(daemon, clock, at_s)
            send_request(sock, {"action": "observe", "kind": kind, "value": value})   # a refusal raises

        observe(60.0, "nausea", 6)                 # during the peak: not part of recovery
        observe(180.0, "nausea", 4)                # recovery began at 2:00
        observe(180.0, "dizziness", 3)
        observe(180.0, "grogginess", 5)
        observe(180.0, "sedation", 1)
        observe(1020.0, "nausea", 0)
        observe(1020.0, "dizziness", 1)
        observe(2520.0, "dizziness", 0)
        observe(2520.0, "grogginess", 2)
        to(daemon, clock, 2600.0)
        send_request(sock, {"action": "stop"})
    report = json.loads(render_report(build_report(tmp_path / "data", sid), "json"))
    recovery = report["recovery"]
    assert (recovery["from"], recovery["start_s"]) == ("recovery phase start", RECOVERY_AT_S)
    course = {s["kind"]: s for s in recovery["symptoms"]}
    assert list(course) == ["nausea", "sedation", "dizziness", "grogginess"]
    assert [(v["since_s"], v["value"], v["source"]) for v in course["nausea"]["values"]] == [
        (60.0, 4, "cli"), (900.0, 0, "cli")]
    assert {k: course["nausea"][k] for k in ("first", "last", "none", "resolved", "resolved_since_s", "status")} == {
        "first": 4, "last": 0, "none": 0, "resolved": True, "resolved_since_s": 900.0, "status": "resolved"}
    assert [v["value"] for v in course["dizziness"]["values"]] == [3, 1, 0]
    assert course["dizziness"]["resolved_since_s"] == 2400.0
    assert (course["grogginess"]["first"], course["grogginess"]["last"], course["grogginess"]["status"]) == (
        5, 2, "not resolved")
    assert (course["sedation"]["last"], course["sedation"]["resolved"], course["sedation"]["status"]) == (
        1, None, "no 'none' level on this scale")

    rows = list(csv.DictReader(io.StringIO(render_report(report, "csv"))))
    assert [r["detail"] for r in rows if r["kind"].startswith("recovery:")] == [
        "Nausea: 4 → 0 (1:00, 15:00); resolved (0 since 15:00); from recovery phase start",
        "Sedation: 1 (1:00); no 'none' level on this scale; from recovery phase start",
        "Dizziness: 3 → 1 → 0 (1:00, 15:00, 40:00); resolved (0 since 40:00); from recovery phase start",
        "Grogginess: 5 → 2 (1:00, 40:00); not resolved (last 2; none is 0); from recovery phase start"]
    page = render_report(report, "html")
    section = page[page.index("<h2>Recovery: how the symptoms resolved</h2>"):]
    section = section[:section.index("</section>")]
    assert "Times from the recovery phase start (2:00 into the session)." in section
    assert ("<tr class=bad><td>Grogginess (0-10)</td><td>5 → 2 (1:00, 40:00)</td><td class=\"num\">5</td>"
            "<td class=\"num\">2</td><td>not resolved (last 2; none is 0)</td></tr>") in section
    assert "<td>Nausea (0-10)</td><td>4 → 0 (1:00, 15:00)</td>" in section


def test_a_session_stopped_before_recovery_says_so(tmp_path: Path) -> None:
    playlist = _library(tmp_path)
    clock = FakeClock()
    with Daemon(daemon_config(tmp_path / "data"), clock=clock) as daemon:
        sock = daemon.config.socket_path
        sid = send_request(sock, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 30.0)
        send_request(sock, {"action": "observe", "kind": "dizziness", "value": 2})
        send_request(sock, {"action": "stop"})
    report = build_report(tmp_path / "data", sid)
    assert report["recovery"]["from"] is None
    assert {s["status"] for s in report["recovery"]["symptoms"]} == {"recovery not reached"}
    assert not [r for r in csv.DictReader(io.StringIO(render_report(report, "csv")))
                if r["kind"].startswith("recovery:")]
    assert render_report(report, "html").count("<td>recovery not reached</td>") == 4


def test_observe_from_the_cli_on_the_clinic_s_sedation_scale(tmp_path: Path) -> None:
    """`session-player observe dizziness 2` as staff type it; MOAA/S (5 = awake) as the clinic's sedation scale."""
    playlist = _library(tmp_path)
    config = daemon_config(tmp_path / "data", session={"observation_kinds": {
        "sedation": {"label": "MOAA/S", "min": 0, "max": 5, "none": 5}}})
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    clock = FakeClock()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "player.cli", *args, "--config", str(cfg)],
                              capture_output=True, text=True, timeout=60)

    with Daemon(config, clock=clock) as daemon:
        sid = send_request(daemon.config.socket_path, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 150.0)
        out = cli("observe", "dizziness", "12")
        assert out.returncode == 1 and "dizziness 12 0-10 is outside the plausible range 0-10" in out.stderr
        for args in (("dizziness", "2"), ("sedation", "3"), ("grogginess", "1", "--note", "sitting up")):
            out = cli("observe", *args)
            assert out.returncode == 0, out.stderr
        to(daemon, clock, 1950.0)
        for args in (("dizziness", "0"), ("sedation", "5"), ("grogginess", "0")):
            assert cli("observe", *args).returncode == 0
        send_request(daemon.config.socket_path, {"action": "stop"})
    report = build_report(tmp_path / "data", sid)
    course = {s["kind"]: s for s in report["recovery"]["symptoms"]}
    assert [(course[k]["label"], course[k]["first"], course[k]["last"], course[k]["none"], course[k]["status"])
            for k in ("sedation", "dizziness", "grogginess")] == [
        ("MOAA/S", 3, 5, 5.0, "resolved"), ("Dizziness", 2, 0, 0.0, "resolved"), ("Grogginess", 1, 0, 0.0, "resolved")]
    assert course["sedation"]["values"][0]["since_s"] == 30.0 and course["sedation"]["resolved_since_s"] == 1830.0
    assert course["nausea"]["status"] == "not observed"


def _shipped_config(data_dir: Path) -> dict:
    """systemd/config.example.yaml as shipped, pointed at a test data dir, simulated output, no GPIO or page."""
    config = yaml.safe_load((ROOT / "systemd" / "config.example.yaml").read_text(encoding="utf-8"))
    config.update(data_dir=str(data_dir), audio={"output": "fake"}, hardware={"enabled": False},
                  web={"enabled": False})
    config["session"].pop("default_playlist")
    return config


def test_the_shipped_checklist_starts_unticked_and_every_answer_is_in_the_report(tmp_path: Path) -> None:
    playlist = _library(tmp_path)
    config = _shipped_config(tmp_path / "data")
    items = config["session"]["checklist"]
    assert len(items) == 8 and config["session"].get("require_checklist", False) is False
    clock = FakeClock()
    with Daemon(config, clock=clock) as daemon:
        sock = daemon.config.socket_path
        unticked = send_request(sock, {"action": "start", "playlist": str(playlist)})["session_id"]
        to(daemon, clock, 10.0)
        send_request(sock, {"action": "stop"})
        ticked = send_request(sock, {"action": "start", "playlist": str(playlist), "checked": True})["session_id"]
        to(daemon, clock, 20.0)
        send_request(sock, {"action": "stop"})
    report = build_report(tmp_path / "data", unticked)
    assert report["checklist"] == [{"item": i, "checked": False} for i in items]
    assert report["started_by"] == "cli"
    rows = list(csv.DictReader(io.StringIO(render_report(report, "csv"))))
    assert [(r["detail"], r["source"]) for r in rows if r["kind"] == "checklist"] == [
        (f"{i}: NOT checked", "cli") for i in items]
    page = render_report(report, "html")
    assert "<dt>Started by</dt><dd>cli</dd>" in page and "Answered at Start; started from cli." in page
    assert page.count("<td>NOT checked</td>") == 8
    report = build_report(tmp_path / "data", ticked)
    assert report["checklist"] == [{"item": i, "checked": True} for i in items]
    assert json.loads(render_report(report, "json"))["checklist"] == report["checklist"]
    assert render_report(report, "html").count("<td>checked</td>") == 8
