"""The take-home integration section printed under the patient's music list (fixed texts, no clinical data).

Every text comes from the clinic's ``take_home:`` settings (player/config.py `TakeHomeConfig`;
the defaults follow the clinic's guidance: the rest of the day, journaling in the 24-72 hours
after, listening to the music again, the follow-up appointment). Nothing from the session
goes in here: no observation, checkpoint, note, staff name, time or session id.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from player.config import TakeHomeConfig

_CSS = """
section.integration{margin-top:16px;border-top:1px solid #999;padding-top:6px;display:grid;
 grid-template-columns:1fr 1fr;gap:0 8mm}
section.integration h2{font-size:1.15em;font-weight:normal;margin:8px 0 2px}
section.integration ul{margin:2px 0;padding-left:1.3em}section.integration li{margin:1px 0;break-inside:avoid}
section.integration p{margin:4px 0}p.follow-up{grid-column:1/-1;margin-top:10px}
@media (max-width:560px){section.integration{display:block}}
@media print{section.integration{break-inside:avoid}}
"""


def integration_css() -> str:
    return _CSS


def _list(items: tuple[str, ...]) -> str:
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>" if items else ""


def integration_html(take_home: TakeHomeConfig) -> str:
    """The section's HTML (empty when the clinic turned it off); every text escaped."""
    if not take_home.integration:
        return ""
    parts = ['<section class="integration" aria-label="after your session">']
    if take_home.rest_of_day:
        parts += ["<div>", "<h2>The rest of today</h2>", _list(take_home.rest_of_day), "</div>"]
    parts += ["<div>", "<h2>The days after</h2>", f"<p>{escape(take_home.journaling)}</p>",
              _list(take_home.journaling_prompts)]
    if take_home.listen_again:
        parts.append(f"<p>{escape(take_home.listen_again)}</p>")
    parts.append("</div>")
    if take_home.follow_up:
        parts.append(f'<p class="follow-up">{escape(take_home.follow_up)}</p>')
    parts.append("</section>\n")
    return "\n".join(parts)
