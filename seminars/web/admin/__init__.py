"""Administration: organisations, accounts and their roles, invitations, single sign-on."""

from flask import Flask


def init_app(app: Flask) -> None:
    # sso adds its routes to the blueprint of `views` on import.
    from seminars.web.admin import (
        sso,  # noqa: F401
        views,  # noqa: F401
    )

    app.register_blueprint(views.bp)
