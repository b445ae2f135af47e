"""The take-home sheet: the patient's music list with the clinic's integration section, and no clinical data.

A session with everything clinical in it (observations, checkpoints with their texts, marks, staff at the
controls, the patient's music feedback and its note) renders a sheet with the music and the clinic's texts
only; the texts follow the config (escaped), and the clinic can leave parts out or the whole section off."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from player.config import REST_OF_DAY, load_config
from player.engine.eventlog import EventLog
from player.engine.feedback_log import feedback_path
from player.errors import ConfigInvalid
from player.reports.music import render_music
from player.reports.report import build_report, render_report
from tests.support.records_factory import SessionLogBuilder

CLINICAL = ("128/82", "BP and HR", "Sedation score", "patient tearful", "nurse.jones", "Room 7", "room-7",
            "felt the choir was too much", "IV ketamine", "spo2", "SpO2", "mmHg", "stopped", "09:", "2026")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def shown(html: str) -> str:
    """The words a reader sees (not the style sheet)."""
    page = _Text()
    page.feed(re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    return "".join(page.text)


def clinical_session(data_dir: Path) -> str:
    b = SessionLogBuilder(session_id="20261125-090000-room-7")
    b.started(room="Room 7", playlist="IV ketamine 40 min")
    b.add(1.0, "track_started", phase="settling", file="music/rain.flac")
    b.add(60.0, "checkpoint_due", index=0, text="BP and HR", at_s=60.0)
    b.add(70.0, "observation", "web", kind="bp", label="BP", unit="mmHg", value="128/82", systolic=128,
          diastolic=82, note="patient tearful")
    b.records[-1]["actor"] = {"user": "nurse.jones"}
    b.add(71.0, "checkpoint_acknowledged", "web", index=0, text="BP and HR", at_s=60.0, late_s=11.0,
          observation="bp")
    b.add(80.0, "observation", "web", kind="spo2", label="SpO2", unit="%", value=97)
    b.add(90.0, "checkpoint_missed", index=1, text="Sedation score", at_s=90.0, grace_s=300.0)
    b.add(100.0, "marked", "cli", text="patient tearful")
    b.add(200.0, "track_started", phase="peak", file="music/sea.flac")
    b.add(300.0, "session_ended", "web", reason="stopped")
    b.write(data_dir)
    with EventLog(feedback_path(data_dir, b.session_id)) as log:
        log.append({"time": "2026-11-25T10:00:00+01:00", "session_id": b.session_id, "type": "music_feedback",
                    "source": "web", "details": {"track": "music/sea.flac", "answer": "unwelcome",
                                                 "note": "felt the choir was too much"},
                    "actor": {"user": "nurse.jones"}})
    return b.session_id


def test_the_sheet_holds_the_music_and_the_clinics_texts_and_nothing_clinical(tmp_path: Path) -> None:
    config = load_config({"data_dir": str(tmp_path / "data")})
    sid = clinical_session(config.data_dir)
    html = render_report(build_report(config.data_dir, sid), "music", config.take_home)
    text = shown(html)
    for private in (*CLINICAL, sid):
        assert private not in text and private not in html, private
    assert "rain" in text and "sea" in text
    for line in (*REST_OF_DAY, *config.take_home.journaling_prompts, config.take_home.journaling,
                 config.take_home.listen_again, config.take_home.follow_up):
        assert line in text, line
    assert "<script" not in html


def test_the_default_texts_follow_the_guidance() -> None:
    take_home = load_config({}).take_home
    words = " ".join((*take_home.rest_of_day, take_home.journaling, *take_home.journaling_prompts,
                      take_home.listen_again or "", take_home.follow_up or "")).lower()
    for advice in ("responsible adult takes you home", "do not drive until tomorrow", "rest", "drink water",
                   "24 to 72 hours", "writing", "listening to this music again", "follow-up appointment"):
        assert advice in words, advice


def test_the_clinic_writes_its_own_texts_escaped_or_turns_parts_off() -> None:
    config = load_config({"take_home": {"rest_of_day": ["No driving <today> & no alcohol"],
                                        "journaling_prompts": ["What did the music <b>open</b>?"],
                                        "follow_up": "Call 555-0100 to book your follow-up", "listen_again": None}})
    html = render_music([{"title": "Rain", "artist": None}], config.take_home)
    assert "No driving &lt;today&gt; &amp; no alcohol" in html and "<b>open</b>" not in html
    assert "Call 555-0100 to book your follow-up" in html
    assert "Listening to this music again" not in html and REST_OF_DAY[0] not in html
    plain = render_music([{"title": "Rain", "artist": None}], load_config({"take_home": {"integration": False}})
                         .take_home)
    assert plain == render_music([{"title": "Rain", "artist": None}])   # the bare list, as before
    none = render_music([{"title": "Rain", "artist": None}], load_config(
        {"take_home": {"rest_of_day": [], "follow_up": None}}).take_home)
    assert "The rest of today" not in shown(none) and "follow-up" not in shown(none)
    assert "The days after" in shown(none)


@pytest.mark.parametrize("bad,message", [
    ({"follow_up": "line\nbreak"}, "take_home.follow_up: must be one line"),
    ({"rest_of_day": ["a \u202eb"]}, "take_home.rest_of_day: must be one line"),
    ({"journaling_prompts": ["q"] * 9}, "take_home.journaling_prompts: expected a list of at most 8"),
    ({"integraton": True}, "take_home"),
])
def test_config_refuses_what_would_not_print_as_one_line(bad, message) -> None:
    with pytest.raises(ConfigInvalid, match=message):
        load_config({"take_home": bad})
