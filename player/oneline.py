"""Text that must stay one line: marks, room names, anything a record or a log shows on one line.

Refuses every character that breaks a line or hides what it is: ASCII and C1 control
characters (tab, newline, DEL, NEL U+0085), and the Unicode line and paragraph separators
(U+2028, U+2029), which JSON keeps but many readers (and `str.splitlines`) break on.
"""

from __future__ import annotations

import unicodedata


def is_one_line(text: str) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)
