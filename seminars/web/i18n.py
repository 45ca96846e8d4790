"""Which language a person sees, and the template helpers that format for it."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import get_locale

from seminars import dates
from seminars.content import render_markdown
from seminars.web.pagecache import seats_left_label

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


def init_app(app: Flask) -> None:
    @app.context_processor
    def formatting():
        language = current_language()
        return {
            "language": language,
            "other_language": "en" if language == "sv" else "sv",
            "fmt_span": lambda start, end: dates.span(start, end, language),
            "fmt_when": lambda moment: dates.when(moment, language),
            "fmt_day": lambda moment: dates.day(moment, language),
            "fmt_clock": lambda moment: dates.clock(moment, language),
        }

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["seats_left_label"] = seats_left_label
