"""The patient's music preferences against a playlist's files: flags for staff, and the preferences file.

`playlist_flags` reads each file's tags (title, artist, album, genre, comment: probe.text_tags)
and names every track whose tags hold an avoided item (player/core/music_prefs.py matches);
`session-player plan --avoid` prints them and the page shows them before Start, so staff can
choose another playlist. Nothing here changes the playlist.

`load_preferences` reads a ``preferences.yaml`` (from the clinician's stick, given to
``session-player start --preferences`` or ``plan --preferences``) with the safe YAML loader,
at most `MAX_PREFERENCES_BYTES`, every error as ``FILE:LINE: error: ...`` like a playlist's::

    avoid: [choir, piano, religious]
    loudness: quieter          # or as_planned (the default)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from player.core.music_prefs import MAX_ITEMS, Matcher, MusicPreferences, check_preferences, flag_text
from player.errors import PlayerError
from player.playlist.model import Playlist
from player.playlist.probe import text_tags
from player.yamlsafe import LineDict, LineList, YamlRefused, load_yaml_file

MAX_PREFERENCES_BYTES = 16 * 1024
PREFERENCES_FILE = "preferences.yaml"


class PreferencesInvalid(PlayerError, ValueError):
    """A preferences file that cannot be used; the message lists every ``FILE:LINE: error: ...``."""


def playlist_flags(playlist: Playlist, avoid: Iterable[str],
                   read: Callable[[Path], dict[str, str]] = text_tags) -> list[dict]:
    """Every track (phases' then calmer music, each file once) whose tags hold an avoided item.

    Returns:
        ``[{"file", "tag", "text", "word", "item", "says"}]``: the file relative to the playlist's
        folder, the tag and its text, the word that matched, the item asked, and one line for staff.
    """
    matcher = Matcher(avoid)
    if not matcher.patterns:
        return []
    base = os.fspath(playlist.path.parent)
    flags: list[dict] = []
    for path in dict.fromkeys(t.path for t in playlist.all_tracks):
        for found in matcher.match(read(path)):
            flags.append({"file": Path(os.path.relpath(path, base)).as_posix(), "tag": found.tag,
                          "text": found.text, "word": found.word, "item": found.item, "says": flag_text(found)})
    return flags


def load_preferences(path: Path) -> MusicPreferences:
    """The preferences in `path`.

    Raises:
        PreferencesInvalid: unreadable, not YAML, too large, or any value wrong (all of them, by line).
    """
    name = str(path)
    try:
        data = load_yaml_file(Path(path), MAX_PREFERENCES_BYTES)
    except YamlRefused as exc:
        raise PreferencesInvalid(f"{name}:{exc.line or 1}: error: not a preferences file: {exc}") from None
    except OSError as exc:
        raise PreferencesInvalid(f"{name}:1: error: cannot read the preferences file: {exc.strerror or exc}") from None
    if data is None:
        return MusicPreferences()
    if not isinstance(data, LineDict):
        raise PreferencesInvalid(f"{name}:{getattr(data, 'line', 1) or 1}: error: a preferences file is a mapping "
                                 "like 'avoid: [choir, piano]' and 'loudness: quieter'")
    given = dict(data)
    if isinstance(given.get("avoid"), str):   # one item, not in a list
        given["avoid"] = [given["avoid"]]
    errors: list[str] = []
    for key, value in given.items():
        if key == "avoid" and isinstance(value, LineList) and len(value) <= MAX_ITEMS:   # each item by its line
            errors += [e for i, item in enumerate(value) for e in _problem(name, value.line_of(i), {"avoid": [item]})]
        else:
            errors += _problem(name, data.line_of(key), {key: value})
    if errors:
        raise PreferencesInvalid("\n".join(errors))
    return check_preferences(given)


def _problem(name: str, line: int, value: dict) -> list[str]:
    try:
        check_preferences(value)
    except ValueError as exc:
        return [f"{name}:{line or 1}: error: {exc}"]
    return []
