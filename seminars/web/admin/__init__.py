"""Site administration: organisations and organiser accounts."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.admin import views

    app.register_blueprint(views.bp)
