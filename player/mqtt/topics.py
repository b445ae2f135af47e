"""Topic names: PREFIX/ROOM/{status,events,online,control,control/reply}, with the room slugged safely.

A room label is free text ("Room 3", "Salle Été / 2"); a topic level must not hold the
wildcards ``+`` and ``#`` nor the separator ``/``, and ACL patterns (``%c``, docs/station.md)
are easier to write for plain ASCII. So the label is folded to ASCII, lowered, and every run
of other characters becomes one ``-``: "Salle Été / 2" -> "salle-ete-2".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

KINDS = ("status", "events", "online", "control", "control/reply")


def room_slug(room: str) -> str:
    """The room's topic level: ASCII letters, digits, ``-`` and ``_`` only; never empty."""
    def ascii_of(text: str) -> str:
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")

    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_of(room).lower()).strip("-")
    if any(c.isalnum() and not ascii_of(c) for c in room) or not slug:
        digest = hashlib.sha256(room.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else f"room-{digest}"
    return slug


@dataclass(frozen=True)
class Topics:
    """One chair's topics."""

    prefix: str
    slug: str

    def of(self, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown topic kind {kind!r}")
        return f"{self.prefix}/{self.slug}/{kind}"

    @property
    def status(self) -> str:
        return self.of("status")

    @property
    def events(self) -> str:
        return self.of("events")

    @property
    def online(self) -> str:
        return self.of("online")

    @property
    def control(self) -> str:
        return self.of("control")

    @property
    def reply(self) -> str:
        return self.of("control/reply")


def split_topic(prefix: str, topic: str) -> tuple[str, str] | None:
    """(slug, kind) of a chair topic under `prefix`, or None for anything else."""
    head = prefix + "/"
    if not topic.startswith(head):
        return None
    slug, _, kind = topic[len(head):].partition("/")
    if not slug or kind not in KINDS:
        return None
    return slug, kind
