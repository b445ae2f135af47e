"""Read what the validator needs from an audio file's header and tags (mutagen, no decoding).

Probing is the only I/O the playlist package does besides finding files: duration and
sample rate for planning, and tag hints that a track may have vocals, which a clinician
should hear before it plays at peak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import mutagen

# Tags that hold lyrics: ID3 frames (USLT/SYLT), Vorbis/FLAC comments, MP4 atoms, APE.
_LYRICS_KEYS = ("uslt", "sylt", "lyrics", "unsyncedlyrics", "\xa9lyr")
# Words in a title/genre that suggest singing or speech.
_VOCAL_WORDS = re.compile(
    r"\b(?:vocals?|vocalist|featuring|lyrics?|sung|singing|a cappella|acapella|spoken word|rap)\b"
    r"|\b(?:feat|ft)\.",
    re.IGNORECASE,
)
_TEXT_TAGS = {"title": ("title", "tit2", "\xa9nam"), "genre": ("genre", "tcon", "\xa9gen")}


class ProbeFailed(ValueError):
    """The file could not be read as audio; the message says why, for a clinician."""


@dataclass(frozen=True)
class AudioInfo:
    """What the validator learned from one file.

    Attributes:
        vocal_hint: why the tags suggest vocals (e.g. ``"lyrics tag"``), or None.
    """

    duration_s: float
    sample_rate: int | None
    vocal_hint: str | None = None
    title: str | None = None


def probe_audio(path: Path) -> AudioInfo:
    """Probe one file with mutagen.

    Raises:
        ProbeFailed: unreadable, not a recognised audio format, corrupt, or of zero length.
    """
    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        # mutagen wraps most failures in MutagenError, but truncated headers leak builtins.
        raise ProbeFailed(f"cannot read it as audio ({_short(exc)})") from None
    if audio is None or getattr(audio, "info", None) is None:
        raise ProbeFailed("not an audio file mutagen recognises (flac, ogg, mp3, wav, m4a, opus ...)")
    length = float(getattr(audio.info, "length", 0) or 0)
    if not length > 0:
        raise ProbeFailed("has no audio (length 0)")
    rate = getattr(audio.info, "sample_rate", None)
    return AudioInfo(duration_s=length, sample_rate=int(rate) if rate else None, vocal_hint=_vocal_hint(audio.tags),
                     title=_title(audio.tags))


def _title(tags: object) -> str | None:
    """The title tag (ID3 TIT2, Vorbis/FLAC title, MP4 nam): what staff see as the track, not its file path."""
    try:
        keys = [str(k) for k in tags.keys()] if tags else []  # type: ignore[attr-defined]  # noqa: SIM118
    except (AttributeError, TypeError):
        return None
    lowered = {k.lower().split(":")[0]: k for k in keys}
    for name in _TEXT_TAGS["title"]:
        text = _tag_text(tags, lowered[name]).strip() if name in lowered else ""
        if text:
            return text[:200]
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _vocal_hint(tags: object) -> str | None:
    if not tags:
        return None
    try:
        # Not `for k in tags`: Vorbis comments iterate as (key, value) pairs.
        keys = [str(k) for k in tags.keys()]  # noqa: SIM118
    except (AttributeError, TypeError):
        return None
    lowered = {k.lower().split(":")[0]: k for k in keys}
    for key in _LYRICS_KEYS:
        if key in lowered:
            return "it has a lyrics tag"
    for label, names in _TEXT_TAGS.items():
        for name in names:
            if name in lowered:
                text = _tag_text(tags, lowered[name])
                match = _VOCAL_WORDS.search(text)
                if match:
                    return f"its {label} says {match.group(0)!r}"
    return None


def _tag_text(tags: object, key: str) -> str:
    return " ".join(_tag_values(tags, key))


def _tag_values(tags: object, key: str) -> list[str]:
    """The values of one tag as text (a tag may hold several: two genres, an ID3 frame's list)."""
    try:
        value = tags[key]  # type: ignore[index]
    except (KeyError, ValueError, TypeError):
        return []
    if hasattr(value, "text"):  # ID3 frame
        value = value.text
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


#: The tags music preferences are matched in (player/core/music_prefs.py TAGS): ID3, Vorbis/FLAC, MP4 names.
_PREFERENCE_TAGS = {"title": ("title", "tit2", "\xa9nam"), "artist": ("artist", "tpe1", "\xa9art"),
                    "album": ("album", "talb", "\xa9alb"), "genre": ("genre", "tcon", "\xa9gen"),
                    "comment": ("comment", "comm", "description", "\xa9cmt")}


def text_tags(path: Path) -> dict[str, str]:
    """Title, artist, album, genre and comment as text (each at most 500 characters); {} when unreadable.

    An ID3 file may hold several comments (COMM:desc:lang); their texts are joined.
    """
    try:
        tags = getattr(mutagen.File(path), "tags", None)
        keys = [str(k) for k in tags.keys()] if tags else []  # noqa: SIM118 - Vorbis iterates pairs
    except (mutagen.MutagenError, OSError, ValueError, EOFError, IndexError, KeyError, TypeError, AttributeError):
        return {}
    out: dict[str, str] = {}
    for label, names in _PREFERENCE_TAGS.items():
        texts = [v.strip() for k in keys if k.lower().split(":")[0] in names for v in _tag_values(tags, k)]
        text = " / ".join(t for t in texts if t)
        if text:
            out[label] = text[:500]
    return out


def track_tags(path: Path) -> tuple[str | None, str | None]:
    """The title and artist a file's tags give (ID3, Vorbis, MP4 alike), None where it has none or cannot be read."""
    try:
        audio = mutagen.File(path, easy=True)
    except (mutagen.MutagenError, OSError, ValueError, EOFError, IndexError, KeyError, TypeError):
        return None, None
    tags = getattr(audio, "tags", None) if audio is not None else None
    if not tags:
        return None, None

    def first(key: str) -> str | None:
        try:
            value = tags.get(key)
        except (KeyError, ValueError, TypeError):
            return None
        text = " / ".join(str(v).strip() for v in value if str(v).strip()) if isinstance(value, list) else None
        return text[:200] if text else None
    return first("title"), first("artist")
