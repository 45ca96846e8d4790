"""The organiser area: the dashboard and the seminar editor."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.organizer import views

    app.register_blueprint(views.bp)
