"""The organiser area: the dashboard, the seminar editor, and the organisation's website
(embedding and feeds)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.organizer import branding, embedding, views  # noqa: F401 (routes)

    app.register_blueprint(views.bp)
    app.register_blueprint(embedding.bp)
