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

@bp.cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
def purge_command(dry_run: bool) -> None:
    """Anonymise attendee details the organisation's number of days after each seminar."""
    from . import purge
    from .models import utcnow

    if dry_run:
        due = purge.due_registrations(utcnow())
        seminars = len({registration.seminar_id for registration in due})
        click.echo(f"would anonymise {len(due)} registrations of {seminars} seminars")
        return
    run = purge.purge()
    db.session.commit()
    click.echo(
        f"anonymised {run.registrations_anonymised} registrations of {run.seminars} seminars"
    )
