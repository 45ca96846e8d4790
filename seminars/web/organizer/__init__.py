"""The organiser area: the dashboard, the seminar editor, the organisation's website
(embedding and feeds) and its own systems (API tokens, webhooks)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.organizer import embedding, integrations, views

    app.register_blueprint(views.bp)
    app.register_blueprint(embedding.bp)
    app.register_blueprint(integrations.bp)
