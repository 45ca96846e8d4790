"""The organiser area: the dashboard, the seminar editor, and the organisation's website
(embedding and feeds)."""

from flask import Flask


def init_app(app: Flask) -> None:
    # sessions adds its routes to the blueprint of `views` on import.
    from seminars.web.organizer import branding, embedding, sessions, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(embedding.bp)
