"""'Did you mean ...?' for unknown keys in playlists and config (as Mopidy does)."""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two short strings."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def did_you_mean(word: str, choices: Iterable[str], max_distance: int = 3) -> str:
    """Return `` (did you mean 'x'?)`` for the closest choice within `max_distance`, else ``""``."""
    best = min(((edit_distance(word.lower(), c.lower()), c) for c in choices), default=None)
    if best is None or best[0] > max_distance or best[0] >= max(len(word), 1):
        return ""
    return f" (did you mean {best[1]!r}?)"


def unknown_key_message(key: str, choices: Iterable[str], where: str = "") -> str:
    """The one wording used everywhere for an unknown key."""
    choices = sorted(choices)
    place = f" in {where}" if where else ""
    hint = did_you_mean(key, choices)
    if not hint:
        hint = f"; known keys: {', '.join(choices)}"
    return f"unknown key {key!r}{place}{hint}"
