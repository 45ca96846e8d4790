"""The JSON API under /api/v1/ (DESIGN "JSON API"): token auth, no cookies, no CSRF."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.api import views

    views.init_app(app)
