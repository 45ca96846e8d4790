"""The web layer: blueprints, their forms, and what only pages need (the page cache, the
language choice, charts, security headers, error pages). The only code that touches
request, session, flash and current_user."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from seminars.web import (
        admin,
        api,
        attendees,
        auth,
        devmail,
        embed,
        errors,
        organizer,
        pagecache,
        public,
        security,
        sharing,
    )

    security.init_app(app)
    errors.init_app(app)
    pagecache.init_app(app)
    sharing.init_app(app)
    public.init_app(app)
    embed.init_app(app)
    api.init_app(app)
    auth.init_app(app)
    organizer.init_app(app)
    admin.init_app(app)
    attendees.init_app(app)
    if app.debug or app.config["DEV_MAILBOX"]:
        app.register_blueprint(devmail.bp)
