"""The patient's music preferences before a session: what to avoid, and how loud. Pure.

Kaelen et al. (2018) found the patient's experience of the music predicted the outcome, and
that music was unwelcome at times for most patients; so staff ask before Start ("anything
you would rather not hear? choir, piano, anything religious?") and check the playlist
against the answers. What is asked comes in through the ``start`` control's ``preferences``
(the page's intake, ``session-player start --avoid ... --quieter``, or a
``preferences.yaml`` the CLI reads) and is recorded with the session (a ``music_preferences``
record, then the report).

Matching never changes a playlist: `match_tags` says which tag of a track holds which
avoided word, so `session-player plan` and the page can flag the track and staff can choose
another playlist. A match is case-insensitive, on whole words, with a simple plural
(``choir`` matches "Choirs", never "choirboy"); an item of several words matches them in a
row. `SYNONYMS` widens an item to the words tags use for it (``religious`` -> hymn,
sacred, gospel, ...); docs/clinician.md lists the table.

Loudness is ``as_planned`` or ``quieter``. ``quieter`` lowers the level this session
rises to by `QUIETER_DB` (`begin_level`); it never raises anything: the session still
starts at the start level or lower, never above the cap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from player.numbers import finite

#: Offered as checkboxes on the page (anything else may be typed).
SUGGESTED = ("choir", "vocals", "piano", "religious", "drums", "strings", "nature sounds", "electronic")
LOUDNESS = ("as_planned", "quieter")
#: How much lower a ``quieter`` session plays than it would have (dB).
QUIETER_DB = 6.0
MAX_ITEMS = 20
MAX_ITEM_CHARS = 40
#: The tags a track is checked in, in the order a flag names them.
TAGS = ("title", "artist", "album", "genre", "comment")

#: An avoided item -> the other words tags use for it (each matched as a whole word, plural too).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "religious": ("hymn", "sacred", "gospel", "psalm", "mass", "church", "liturgical", "chant", "requiem",
                  "spiritual", "worship", "prayer"),
    "choir": ("choral", "chorale", "chorus", "choristers"),
    "vocals": ("voice", "singing", "sung", "singer", "lyrics", "a cappella", "acapella"),
    "piano": ("pianist", "pianoforte"),
    "drums": ("percussion", "drumming"),
    "strings": ("violin", "viola", "cello", "string quartet"),
    "nature sounds": ("nature", "rain", "ocean", "birdsong", "waves", "forest"),
    "electronic": ("electronica", "synth", "synthesizer", "techno", "ambient electronic"),
}

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class MusicPreferences:
    """What the patient asked: items to avoid (normalized, in the order given) and the loudness."""

    avoid: tuple[str, ...] = ()
    loudness: str = "as_planned"

    def as_record(self) -> dict:
        """The ``music_preferences`` record's fields (without the level, which the session adds)."""
        return {"avoid": list(self.avoid), "loudness": self.loudness}


@dataclass(frozen=True)
class TagMatch:
    """One avoided item found in a tag: which tag, its text, the word that matched and the item it stands for."""

    tag: str
    text: str
    word: str
    item: str


def normalize_item(item: str) -> str:
    """An item as kept and matched: lower case, words separated by one space ("No  Choir" -> "no choir")."""
    return " ".join(w.lower() for w in _WORD.findall(item))


def check_preferences(value: object) -> MusicPreferences:
    """The preferences from a control or a file: ``{"avoid": [text, ...], "loudness": "quieter"}``, both optional.

    Raises:
        ValueError: worded for staff (the control is refused, the file's line is named).
    """
    if isinstance(value, MusicPreferences):
        return value
    if not isinstance(value, Mapping):
        raise ValueError('preferences must be like {"avoid": ["choir", "piano"], "loudness": "quieter"}')
    extra = sorted(str(k) for k in value if k not in ("avoid", "loudness"))
    if extra:
        raise ValueError(f"preferences take avoid and loudness only, not {', '.join(extra)}")
    avoid = value.get("avoid", [])
    if avoid is None:
        avoid = []
    if not isinstance(avoid, (list, tuple)) or len(avoid) > MAX_ITEMS:
        raise ValueError(f"avoid must be a list of at most {MAX_ITEMS} items, e.g. [choir, piano, religious]")
    items: list[str] = []
    for item in avoid:
        if not isinstance(item, str) or len(item) > MAX_ITEM_CHARS:
            raise ValueError(f"each item to avoid is a word or two of at most {MAX_ITEM_CHARS} characters")
        normal = normalize_item(item)
        if not normal:
            raise ValueError(f"an item to avoid needs letters or digits, got {item!r}")
        if normal not in items:
            items.append(normal)
    loudness = value.get("loudness", "as_planned")
    if loudness is None:
        loudness = "as_planned"
    if loudness not in LOUDNESS:
        raise ValueError(f"loudness must be one of {', '.join(LOUDNESS)}")
    return MusicPreferences(tuple(items), str(loudness))


def begin_level(target_db: float, prefs: MusicPreferences | None) -> float:
    """The level a session rises to after its start: `target_db`, or `QUIETER_DB` lower when asked quieter.

    Never higher than `target_db` (which the caller has already bounded by the cap), so the
    start level, the cap and the rise stay the level model's.
    """
    if prefs is not None and prefs.loudness == "quieter":
        return target_db - QUIETER_DB
    return target_db


def words_for(item: str) -> tuple[str, ...]:
    """What `item` matches: itself and its synonyms (`SYNONYMS`), normalized, without repeats."""
    normal = normalize_item(item)
    return tuple(dict.fromkeys((normal, *(normalize_item(s) for s in SYNONYMS.get(normal, ())))))


def _plural(word: str) -> str:
    """A regex for `word` in the singular or a simple plural (+s, +es, y -> ies), whichever was given."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return f"(?:{re.escape(word)}|{re.escape(word[:-1])}ies)"
    return f"{re.escape(word)}(?:e?s)?"


def _pattern(phrase: str) -> re.Pattern[str]:
    """Whole words of `phrase` in a row (any spaces or punctuation between); the last may be plural."""
    words = phrase.split(" ")
    body = r"[\W_]+".join([re.escape(w) for w in words[:-1]] + [_plural(words[-1])])
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])", re.IGNORECASE)


class Matcher:
    """The avoided items, each with its words' patterns compiled once, for matching many tracks."""

    def __init__(self, avoid: Iterable[str]) -> None:
        items = dict.fromkeys(i for i in map(normalize_item, avoid) if i)
        self.patterns = [(item, [_pattern(w) for w in words_for(item)]) for item in items]

    def match(self, tags: Mapping[str, str | None]) -> list[TagMatch]:
        """Every (tag, avoided item) that matches, at most one per pair, tags in `TAGS` order, items as given."""
        found: list[TagMatch] = []
        for tag in TAGS:
            text = tags.get(tag) or ""
            if not text:
                continue
            for item, words in self.patterns:
                for pattern in words:
                    hit = pattern.search(text)
                    if hit:
                        found.append(TagMatch(tag, text, hit.group(0), item))
                        break
        return found


def match_tags(tags: Mapping[str, str | None], avoid: Iterable[str]) -> list[TagMatch]:
    """`Matcher(avoid).match(tags)`: one track's tags against the avoided items."""
    return Matcher(avoid).match(tags)


def flag_text(match: TagMatch) -> str:
    """One line for staff: ``genre "Sacred Choral" has "Sacred" (avoid: religious)``."""
    return f'{match.tag} "{match.text}" has "{match.word}" (avoid: {match.item})'


def describe_preferences(d: Mapping) -> str:
    """A ``music_preferences`` record in words (the event list, the report's staff actions)."""
    avoid = d.get("avoid") if isinstance(d.get("avoid"), list) else []
    said = f"avoid {', '.join(str(a) for a in avoid)}" if avoid else "nothing to avoid"
    if d.get("loudness") == "quieter":
        level = finite(d.get("level_db"))
        said += "; quieter" + (f" (plays at {level:g} dB)" if level is not None else "")
    return f"music preferences: {said}"
