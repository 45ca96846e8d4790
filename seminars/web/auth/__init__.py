"""Organiser sign-in: the password and the second factor, passkeys, single sign-on,
server-side sessions, invitations, and each person's own account and security pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    # sso adds its routes to the blueprints of `views` and `account` on import.
    from seminars.web.auth import (
        account,  # noqa: F401
        sso,  # noqa: F401
        views,  # noqa: F401
    )

    views.init_app(app)
    account.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(account.bp)
