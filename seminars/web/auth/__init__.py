"""Organiser sign-in: log in and out, forgotten password, the session's user."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.auth import views

    views.init_app(app)
    app.register_blueprint(views.bp)
