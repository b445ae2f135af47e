"""The pre-session checklist (``session.checklist`` in the config): what staff ticked before Start.

Pure. The web page shows the items as checkboxes before Start; `session-player start
--checked` ticks them all. The answers go into the ``session_started`` record (a
``checklist`` field: every item, checked or not); with ``session.require_checklist`` a
start with an item left unticked is refused, naming it.
"""

from __future__ import annotations

from player.errors import SessionRefused


def checklist_answers(session_config, checked: list[str] | bool | None) -> list[dict]:
    """Every configured item with whether it was ticked (`checked`: the items, or True for all).

    Raises:
        SessionRefused: an item that is not on the checklist, or (``require_checklist``) one left unticked.
    """
    items = tuple(session_config.checklist)
    ticked = set(items) if checked is True else set(checked or ())
    unknown = sorted(ticked - set(items))
    if unknown:
        listed = ", ".join(repr(i) for i in items) or "none: session.checklist is empty"
        raise SessionRefused(f"not on the pre-session checklist: {', '.join(map(repr, unknown))} (it has: {listed})")
    missing = [i for i in items if i not in ticked]
    if missing and session_config.require_checklist:
        raise SessionRefused(f"the pre-session checklist is not complete: {', '.join(missing)} not checked "
                             "(tick every item on the page, or start --checked once all are done)")
    return [{"item": i, "checked": i in ticked} for i in items]
