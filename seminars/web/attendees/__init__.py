"""The organiser's pages about a seminar's people: the list, one person, adding and
importing (`views`), check-in at the door (`checkin`), messages and the email log
(`messages`), the audit log (`logs`), and exports (`exports`, a blueprint of its own)."""

from flask import Flask


def init_app(app: Flask) -> None:
    # checkin, logs and messages add their routes to the blueprint of `views` on import.
    from seminars.web.attendees import (
        checkin,  # noqa: F401
        exports,  # noqa: F401
        logs,  # noqa: F401
        messages,  # noqa: F401
        views,  # noqa: F401
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(exports.bp)
