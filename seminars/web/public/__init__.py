"""Public pages: the seminar list and page with its signup form, calendars, the attendee's
own page behind the manage link, the attendance answer, privacy and accessibility, and each
organisation's page with its feeds."""

from flask import Flask


def init_app(app: Flask) -> None:
    # my_sessions adds its routes to the blueprint of `views` on import.
    from seminars.web.public import attendance, my_sessions, organisations, statements, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(organisations.bp)
    app.register_blueprint(statements.bp)
    app.register_blueprint(attendance.bp)
