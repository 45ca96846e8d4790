"""The organiser area: the dashboard, the seminar editor, the organisation's website
(embedding and feeds) and its own systems (API tokens, webhooks)."""

from flask import Flask


def init_app(app: Flask) -> None:
    # sessions and integrations add their routes to the blueprint of `views` on import.
    from seminars.web.organizer import branding, embedding, integrations, sessions, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(embedding.bp)
    app.register_blueprint(integrations.bp)
