"""Which language a person sees, and the template helpers that format for it."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request
from flask_babel import get_locale

from seminars import dates
from seminars.content import render_markdown
from seminars.web.pagecache import seats_label, seats_left_label

LANGUAGE_COOKIE = "lang"
LANGUAGES = ("sv", "en")


def select_locale() -> str:
    """The language chosen with the switch, else the browser's, else Swedish. An embedded
    page gets no cookie of ours in another site's frame: the framing site says `?lang=`."""
    chosen = request.args.get("lang") if request.blueprint == "embed" else None
    chosen = chosen or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="sv")


def current_language() -> str:
    return str(get_locale() or "sv")[:2]


def _in_current_language(format_: Callable) -> Callable:
    return lambda *moments: format_(*moments, current_language())


def init_app(app: Flask) -> None:
    @app.context_processor
    def languages():
        language = current_language()
        return {"language": language, "other_language": "en" if language == "sv" else "sv"}

    # Globals, not context: macros imported without the page's context (public/_macros.html)
    # format dates too.
    app.jinja_env.globals.update(
        fmt_span=_in_current_language(dates.span),
        fmt_when=_in_current_language(dates.when),
        fmt_day=_in_current_language(dates.day),
        fmt_clock=_in_current_language(dates.clock),
    )
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["seats_left_label"] = seats_left_label
    app.jinja_env.globals["seats_label"] = seats_label
