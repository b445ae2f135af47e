"""The patient's music preferences (player/core/music_prefs.py): checking, matching tags, the level, the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.config import config_from_mapping
from player.control.controller import check_control
from player.core.effects import BeginLevel, Record
from player.core.music_prefs import (
    MAX_ITEM_CHARS,
    MAX_ITEMS,
    QUIETER_DB,
    SUGGESTED,
    SYNONYMS,
    MusicPreferences,
    TagMatch,
    begin_level,
    check_preferences,
    describe_preferences,
    flag_text,
    match_tags,
    normalize_item,
    words_for,
)
from player.core.running import MixerView
from player.core.session import SessionMachine
from player.core.vocabulary import check_record, describe
from player.errors import SessionRefused
from player.playlist.model import Phase, Playlist, Track
from tests.core.effect_names import command

# --- checking what was asked ----------------------------------------------------------------

def test_preferences_are_normalized_deduplicated_and_default_to_as_planned() -> None:
    assert check_preferences({}) == MusicPreferences((), "as_planned")
    assert check_preferences({"avoid": None, "loudness": None}) == MusicPreferences((), "as_planned")
    got = check_preferences({"avoid": ["  Choir ", "choir", "No  PIANO!", "nature-sounds"], "loudness": "quieter"})
    assert got == MusicPreferences(("choir", "no piano", "nature sounds"), "quieter")
    assert got.as_record() == {"avoid": ["choir", "no piano", "nature sounds"], "loudness": "quieter"}
    assert check_preferences(got) is got


@pytest.mark.parametrize("value,says", [
    ("choir", "preferences must be like"),
    (["choir"], "preferences must be like"),
    ({"avoid": "choir"}, "avoid must be a list"),
    ({"avoid": ["x"] * (MAX_ITEMS + 1)}, f"avoid must be a list of at most {MAX_ITEMS} items"),
    ({"avoid": [3]}, "each item to avoid is a word or two"),
    ({"avoid": ["x" * (MAX_ITEM_CHARS + 1)]},
     f"each item to avoid is a word or two of at most {MAX_ITEM_CHARS} characters"),
    ({"avoid": ["  ?! "]}, "an item to avoid needs letters or digits, got '  ?! '"),
    ({"loudness": "louder"}, "loudness must be one of as_planned, quieter"),
    ({"loudness": 3}, "loudness must be one of"),
    ({"avoid": [], "volume": 3}, "preferences take avoid and loudness only, not volume"),
])
def test_bad_preferences_are_refused_in_words(value, says) -> None:
    with pytest.raises(ValueError, match=None) as err:
        check_preferences(value)
    assert str(err.value).startswith(says)


def test_the_refusals_say_exactly_what_to_write() -> None:
    with pytest.raises(ValueError) as err:
        check_preferences("choir")
    assert str(err.value) == 'preferences must be like {"avoid": ["choir", "piano"], "loudness": "quieter"}'
    with pytest.raises(ValueError) as err:
        check_preferences({"volume": 1, "colour": 2})
    assert str(err.value) == "preferences take avoid and loudness only, not colour, volume"


def test_the_longest_allowed_list_of_longest_items_is_taken() -> None:
    items = [f"{i:02d}" + "a" * (MAX_ITEM_CHARS - 2) for i in range(MAX_ITEMS)]
    assert len(check_preferences({"avoid": items}).avoid) == MAX_ITEMS


def test_the_control_door_takes_preferences_on_start_only() -> None:
    start = check_control("start", "web", {"preferences": {"avoid": ["Choir"], "loudness": "quieter"}})
    assert start.preferences == MusicPreferences(("choir",), "quieter")
    with pytest.raises(SessionRefused, match="loudness must be one of"):
        check_control("start", "cli", {"preferences": {"loudness": "max"}})
    with pytest.raises(SessionRefused, match="takes no preferences"):
        check_control("load", "web", {"preferences": {}})


# --- matching tags ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,item,word", [
    ("Choir of Angels", "choir", "Choir"),
    ("CHOIRS", "choir", "CHOIRS"),
    ("the choir.", "Choir", "choir"),
    ("Piano Sonata", "piano", "Piano"),
    ("Two pianos", "piano", "pianos"),
    ("Melodies", "melody", "Melodies"),
    ("a melody", "melodies", "melody"),
    ("Vocal version", "vocals", "Vocal"),
    ("Churches", "church", "Churches"),
    ("Masses", "mass", "Masses"),
    ("Deep bass", "bass", "bass"),
    ("Gospel", "religious", "Gospel"),
    ("hymn no. 4", "religious", "hymn"),
    ("Sacred music", "religious", "Sacred"),
    ("Psalm 23", "religious", "Psalm"),
    ("Mass in B minor", "religious", "Mass"),
    ("Church bells", "religious", "Church"),
    ("Liturgical", "religious", "Liturgical"),
    ("Choral works", "choir", "Choral"),
    ("Rain on leaves", "nature sounds", "Rain"),
    ("forest-sounds", "nature sounds", "forest"),
    ("nature_sounds", "nature sounds", "nature_sounds"),
    ("A Cappella", "vocals", "A Cappella"),
    ("Chœur", "chœur", "Chœur"),
    ("Gregorian Chant", "religious", "Chant"),
    ("a lie", "lies", "lie"),          # plural given: the singular matches too
    ("one fly", "flies", "fly"),
    ("the Key", "keys", "Key"),
    ("buses", "bus", "buses"),
    ("grey skies", "sky", "skies"),    # y after a consonant: ies
    ("sunny days", "day", "days"),     # y after a vowel: s
    ("lots of bys", "by", "bys"),
])
def test_whole_words_any_case_simple_plural_and_synonyms_match(text, item, word) -> None:
    assert match_tags({"title": text}, [item]) == [TagMatch("title", text, word, normalize_item(item))]


@pytest.mark.parametrize("text,item", [
    ("choirboy", "choir"),
    ("Pianoforte", "drums"),
    ("Massive Attack", "religious"),
    ("Churchill", "religious"),
    ("Hymnal", "religious"),       # whole words: a word that only begins so does not match
    ("Spianoto", "piano"),
    ("pianoss", "piano"),
    ("Vocalise", "vocals"),
    ("pianist", "drums"),
    ("", "choir"),
    ("Mass", "masses tonight"),    # all the words of an item, in a row
    ("", "xxxx"),
    ("bu", "bus"),                 # a short word is never cut to a shorter one
    ("skys", "sky"),
    ("lys", "lies"),
])
def test_parts_of_words_and_other_words_do_not_match(text, item) -> None:
    assert match_tags({"title": text}, [item]) == []


def test_every_tag_is_checked_in_order_once_per_item_and_others_ignored() -> None:
    tags = {"comment": "recorded in a church", "genre": "Sacred; Choral", "title": "Hymn", "artist": None,
            "album": "", "composer": "choir"}
    assert match_tags(tags, ["choir", "religious", "piano"]) == [
        TagMatch("title", "Hymn", "Hymn", "religious"),
        TagMatch("genre", "Sacred; Choral", "Choral", "choir"),
        TagMatch("genre", "Sacred; Choral", "Sacred", "religious"),
        TagMatch("comment", "recorded in a church", "church", "religious"),
    ]
    assert match_tags(tags, []) == [] and match_tags({}, ["choir"]) == []
    assert match_tags({"title": "Choir"}, ["choir", " CHOIR ", "?"]) == [TagMatch("title", "Choir", "Choir", "choir")]


def test_the_synonym_table_is_small_normalized_and_covers_the_suggestions() -> None:
    assert set(SYNONYMS) <= set(SUGGESTED) | {"religious"}
    for item, words in SYNONYMS.items():
        assert normalize_item(item) == item and all(normalize_item(w) == w for w in words), item
        assert words_for(item)[0] == item and len(set(words_for(item))) == len(words_for(item))
        for word in words:   # each synonym really matches its item, in a tag, as a whole word
            assert match_tags({"genre": f"x {word.upper()} y"}, [item]) != [], word
    assert {"hymn", "sacred", "gospel", "psalm", "mass", "church", "liturgical"} <= set(SYNONYMS["religious"])
    assert words_for("Unknown Thing") == ("unknown thing",)


def test_the_synonym_table_is_the_one_documented_for_clinicians() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "clinician.md").read_text()
    section = doc.split("## Music preferences and flagged tracks", 1)[1]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")][1:]
    assert {item.strip(): tuple(w.strip() for w in words.split(",")) for item, words in rows} == SYNONYMS


def test_a_flag_names_the_tag_its_text_the_word_and_the_item() -> None:
    assert flag_text(TagMatch("genre", "Sacred Choral", "Sacred", "religious")) == \
        'genre "Sacred Choral" has "Sacred" (avoid: religious)'


# --- the level ---------------------------------------------------------------------------------

def test_quieter_lowers_and_nothing_raises() -> None:
    assert begin_level(-12.0, None) == -12.0
    assert begin_level(-12.0, MusicPreferences(("choir",))) == -12.0
    assert begin_level(-12.0, MusicPreferences((), "quieter")) == -12.0 - QUIETER_DB
    assert QUIETER_DB > 0


# --- in the session ------------------------------------------------------------------------------

def _playlist() -> Playlist:
    phases = (Phase("settling", 600.0, (Track(Path("/m/a.flac"), duration_s=300.0),), 8.0),)
    return Playlist("P", Path("/m/p.yaml"), 8.0, phases)


def _start(prefs: MusicPreferences | None, **volume: float):
    machine = SessionMachine(config_from_mapping({"volume": {"max_db": -6.0, "default_db": -12.0, "start_db": -20.0,
                                                             **volume}}))
    args = {"playlist": _playlist(), "session_id": "s1", **({"preferences": prefs} if prefs else {})}
    effects = command(machine, "start", "web", args, 10.0, MixerView())
    recs = [fx for fx in effects if isinstance(fx, Record)]
    for r in recs:
        check_record(r.type, r.source, r.details)
    begin = next(fx for fx in effects if isinstance(fx, BeginLevel))
    return recs, begin


def test_the_preferences_are_recorded_right_after_session_started() -> None:
    recs, begin = _start(MusicPreferences(("choir", "religious"), "as_planned"))
    assert [r.type for r in recs][:2] == ["session_started", "music_preferences"]
    assert recs[1].details == {"avoid": ["choir", "religious"], "loudness": "as_planned"}
    assert recs[1].source == "web" and recs[1].at_s == 0.0
    assert begin == BeginLevel(None)     # as planned: the level model's own default


def test_quieter_begins_lower_than_planned_and_says_so() -> None:
    recs, begin = _start(MusicPreferences((), "quieter"))
    assert begin == BeginLevel(-18.0)
    assert recs[1].details == {"avoid": [], "loudness": "quieter", "level_db": -18.0}
    assert describe({"type": "music_preferences", "details": recs[1].details}) == \
        "music preferences: nothing to avoid; quieter (plays at -18 dB)"


def test_quieter_never_goes_above_the_cap_or_the_start_level() -> None:
    _, begin = _start(MusicPreferences((), "quieter"), max_db=-15.0, default_db=-15.0)
    assert begin.target_db == -21.0      # at the cap: 6 dB under it
    _, begin = _start(MusicPreferences((), "quieter"), start_db=-30.0)
    assert begin.target_db == -18.0      # the start (-30) stays below: the rise is still from low


def test_no_preferences_no_record() -> None:
    recs, begin = _start(None)
    assert "music_preferences" not in [r.type for r in recs] and begin == BeginLevel(None)


def test_the_record_in_words() -> None:
    assert describe_preferences({"avoid": ["choir", "piano"], "loudness": "as_planned"}) == \
        "music preferences: avoid choir, piano"
    assert describe_preferences({"avoid": "odd", "loudness": "quieter", "level_db": float("nan")}) == \
        "music preferences: nothing to avoid; quieter"
