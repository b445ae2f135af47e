"""The music-preference options of `start` and `plan` (not a command of its own).

``--avoid ITEM`` (repeatable), ``--quieter`` (start only) and ``--preferences FILE`` (a
``preferences.yaml``, e.g. from the clinician's stick; read here, by the CLI, never by the
daemon). Options given with a file add to it: its items first, then ``--avoid``'s.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from player.core.music_prefs import QUIETER_DB, MusicPreferences, check_preferences
from player.playlist.model import Playlist
from player.reports.music_flags import load_preferences


def add_preference_options(parser: argparse.ArgumentParser, *, quieter: bool) -> None:
    """`--avoid`, `--preferences` and (for start) `--quieter`."""
    parser.add_argument("--avoid", action="append", metavar="ITEM", default=None,
                        help="music the patient would rather not hear, e.g. choir, piano, religious (repeatable); "
                             "tracks whose tags match are flagged")
    parser.add_argument("--preferences", type=Path, metavar="FILE",
                        help="the patient's preferences.yaml (avoid: [...], loudness: quieter)")
    if quieter:
        parser.add_argument("--quieter", action="store_true",
                            help=f"the patient prefers it quieter: the session plays {QUIETER_DB:g} dB lower "
                                 "(never louder than planned)")


def preferences_of(args: argparse.Namespace) -> MusicPreferences | None:
    """What the options say, None when none was given.

    Raises:
        PreferencesInvalid: the file (FILE:LINE). SystemExit: a bad --avoid item.
    """
    given = load_preferences(args.preferences) if getattr(args, "preferences", None) else None
    avoid = getattr(args, "avoid", None) or []
    quieter = getattr(args, "quieter", False)
    if given is None and not avoid and not quieter:
        return None
    base = given or MusicPreferences()
    try:
        return check_preferences({"avoid": [*base.avoid, *avoid],
                                  "loudness": "quieter" if quieter else base.loudness})
    except ValueError as exc:
        raise SystemExit(f"session-player {args.command}: {exc}") from None


def flag_lines(playlist: Playlist, prefs: MusicPreferences, flags: list[dict]) -> list[str]:
    """What `plan` prints: the preferences, then each flagged track, or that none matched."""
    lines = [f"music preferences: avoid {', '.join(prefs.avoid) or 'nothing'}"
             + ("; quieter" if prefs.loudness == "quieter" else "")]
    if prefs.avoid and not flags:
        files = len({t.path for t in playlist.all_tracks})
        lines.append(f"no track's title, artist, album, genre or comment matches ({files} file(s) checked; "
                     "listen before the session: tags can be empty)")
    lines += [f"FLAGGED {f['file']}: {f['says']}" for f in flags]
    if flags:
        lines.append(f"{len({f['file'] for f in flags})} track(s) flagged: choose another playlist, or listen first")
    return lines
