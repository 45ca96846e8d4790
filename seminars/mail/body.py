"""An email's text and HTML, from `templates/email/<kind>.txt|.html`.

Kinds sent to everyone of a seminar at once (`BROADCAST_KINDS`) see the person only
through `recipient_name` and the links, so a batch renders each once per audience with a
marker for every personal value and fills in each recipient: a 10,000-person reminder run
renders a handful of templates instead of 20,000.
"""

from __future__ import annotations

import re

from flask import current_app
from markupsafe import escape

BROADCAST_KINDS = {
    "reminder",
    "attendance_check",
    "seminar_changed",
    "seminar_cancelled",
    "message",
}


def _render(name: str, context: dict) -> str:
    """The template rendered with exactly `context`: none of the web pages' context
    processors run (nothing here is about a web visitor, and a reminder run is spared their
    work 20,000 times)."""
    return current_app.jinja_env.get_template(name).render(context)


def render_parts(kind: str, context: dict) -> tuple[str, str]:
    text = _tidy(_render(f"email/{kind}.txt", context))
    html = _render(f"email/{kind}.html", context)
    seminar = context.get("seminar")
    if seminar is None:
        return text, html
    return after_title(text, seminar.title), after_title(html, str(escape(seminar.title)))


def after_title(text: str, title: str) -> str:
    """Drop a full stop or comma the sentence puts right after a title ending in ? or !:
    "… styrning?. Välkommen!" and "… styrning?, onsdag" read as typos, so the title's own
    mark ends the phrase."""
    if not title.endswith(("?", "!")):
        return text
    return re.sub(re.escape(title) + "[.,]", lambda _match: title, text)


def _tidy(text: str) -> str:
    """Plain-text templates stay readable; the blank lines their tags leave are dropped."""
    return re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip() + "\n"


def with_markers(personal: dict[str, str]) -> dict[str, str]:
    """A marker in place of each personal value, to fill in per recipient."""
    return {name: f"\x1a{name}\x1a" if value else "" for name, value in personal.items()}


def fill_in(parts: tuple[str, str], personal: dict[str, str]) -> tuple[str, str]:
    """One recipient's text and HTML from a broadcast's (HTML-escaped in the HTML)."""
    text, html = parts
    for name, value in personal.items():
        text = text.replace(f"\x1a{name}\x1a", value)
        html = html.replace(f"\x1a{name}\x1a", escape(value))
    return text, html
