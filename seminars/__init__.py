"""Seminars: organisations publish seminars, people sign up online."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, database, pagecache  # noqa: F401 (pagecache: its flush listener)
from .extensions import babel, csrf, db, login_manager, mail, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["PROXY_FIX"]:
        # Behind one reverse proxy that sets X-Forwarded-* (docs/deploy.md): trust one hop.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database.configure_engine(app.config)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=database.render_migration_type,
    )
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import i18n

    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    i18n.init_app(app)

    from .web import auth, errors, public, security

    app.register_blueprint(public.bp)
    security.init_app(app)
    errors.init_app(app)
    auth.init_app(app)

    from .web import admin, organizer

    app.register_blueprint(auth.bp)
    app.register_blueprint(organizer.bp)
    app.register_blueprint(admin.bp)

    from .web import attendees

    app.register_blueprint(attendees.bp)

    from .web import exports

    app.register_blueprint(exports.bp)

    from .web import statements

    app.register_blueprint(statements.bp)

    from .web import attendance, devmail

    app.register_blueprint(attendance.bp)
    if app.debug or app.config["DEV_MAILBOX"]:
        app.register_blueprint(devmail.bp)

    from . import cli

    app.register_blueprint(cli.bp)
    return app
