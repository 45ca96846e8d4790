"""The organiser's pages about a seminar's people: the list, one person, adding and
importing, check-in at the door, messages, the email and audit logs, and exports."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web.attendees import exports, views

    app.register_blueprint(views.bp)
    app.register_blueprint(exports.bp)
