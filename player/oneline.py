"""Text that must stay one line: marks, room names, anything a record or a log shows on one line.

Refuses every character that breaks a line or hides what it is: ASCII and C1 control
characters (tab, newline, DEL, NEL U+0085), the Unicode line and paragraph separators
(U+2028, U+2029), which JSON keeps but many readers (and `str.splitlines`) break on, and the
explicit direction embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), with
which a mark would read backwards in a report ("BP 128/82" shown as "28/821 PB"). The
direction marks (LRM, RLM, ALM) that Arabic or Hebrew text needs stay allowed: they reverse nothing.
"""

from __future__ import annotations

import unicodedata

_DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_one_line(text: str) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _DIRECTION_CONTROLS for c in text)
