"""`flask --app wsgi seminars …`: demo data, organiser accounts, the worker, the purge."""

from __future__ import annotations

import click
from flask import Blueprint

from . import demo
from .extensions import db

bp = Blueprint("seminars", __name__, cli_group="seminars")


@bp.cli.command("demo")
def demo_command() -> None:
    """Load the seed seminars (idempotent)."""
    created = demo.load()
    db.session.commit()
    if created:
        for seminar in created:
            click.echo(f"created {seminar.slug}")
    else:
        click.echo("demo seminars already present")
