"""Seminars: organisations publish seminars, people sign up online."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from seminars import config, content_versions, database
from seminars.extensions import babel, csrf, db, login_manager, mailer, migrate

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
    database.init_app(app)
    content_versions.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=database.render_migration_type,
    )
    mailer.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from seminars.web import i18n

    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    i18n.init_app(app)

    from seminars import web

    web.init_app(app)

    from seminars import cli

    app.register_blueprint(cli.bp)
    return app
