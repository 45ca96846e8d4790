"""The embeddable signup and seminar list, framed by the sites an organisation allows
(DESIGN: embedding). They work without any cookie: see `tokens`."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.embed import views

    app.register_blueprint(views.bp)
