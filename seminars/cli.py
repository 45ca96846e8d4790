"""`flask --app wsgi seminars …`: demo data, organiser accounts, the worker, the purge."""

from __future__ import annotations

import time

import click
from flask import Blueprint, current_app

from seminars import demo
from seminars.accounts import organizers
from seminars.extensions import db

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
    click.echo(f"organiser login: {demo.DEMO_ORGANIZER_EMAIL} / {demo.DEMO_ORGANIZER_PASSWORD}")


@bp.cli.command("create-organizer")
@click.option("--email", required=True, help="The address they log in with.")
@click.option("--name", required=True)
@click.option(
    "--organization", required=True, help="Name of their organisation; created if missing."
)
@click.option("--admin", is_flag=True, help="A site administrator, who manages everything.")
@click.password_option(help="Asked for when not given, hidden, twice.")
def create_organizer_command(
    email: str, name: str, organization: str, admin: bool, password: str
) -> None:
    """Create an organiser account (the password is asked for, hidden)."""
    try:
        organizer = organizers.create_organizer(
            email=email,
            name=name,
            password=password,
            organizations=[organizers.organization_named(organization)],
            is_admin=admin,
        )
    except organizers.EmailTaken:
        raise click.ClickException(f"an account for {email} already exists") from None
    except organizers.PasswordTooShort:
        raise click.ClickException(
            f"the password must be at least {organizers.MIN_PASSWORD_LENGTH} characters"
        ) from None
    db.session.commit()
    role = "administrator" if admin else "organiser"
    click.echo(f"created {role} {organizer.email} in {organizer.organizations[0].name}")


@bp.cli.command("worker")
@click.option("--once", is_flag=True, help="Run one pass and exit (for cron).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def worker_command(once: bool, interval: float) -> None:
    """Queue due reminders and deliver the email outbox; loops until stopped."""
    from seminars import worker

    if not once:
        click.echo(f"worker: delivering mail every {interval:g} s (Ctrl-C stops)")
    while True:
        try:
            summary = worker.run_pass()
        except Exception as error:  # a database or SMTP hiccup must not stop the loop
            db.session.rollback()
            if once:
                raise
            click.echo(f"worker: pass failed, trying again: {error}", err=True)
        else:
            # The loop stays quiet while nothing is due; --once always reports.
            if once or summary.anything_happened:
                click.echo(f"{time.strftime('%H:%M:%S')} {summary.line()}")
        finally:
            db.session.remove()
        if once:
            return
        time.sleep(interval)


@bp.cli.command("mailbox")
@click.option("--host", default=None, help="Default: MAIL_SERVER (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default: MAIL_PORT (8025).")
def mailbox_command(host: str | None, port: int | None) -> None:
    """A development SMTP server that keeps every mail in instance/mailbox/ and prints it."""
    from aiosmtpd.controller import Controller

    from seminars.mail import devmail

    directory = devmail.mailbox_directory(current_app)
    controller = Controller(
        devmail.MailboxHandler(directory, echo=click.echo),
        hostname=host or current_app.config["MAIL_SERVER"],
        port=port or current_app.config["MAIL_PORT"],
    )
    controller.start()
    click.echo(
        f"mailbox: SMTP on {controller.hostname}:{controller.port}, mails kept in {directory}"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@bp.cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
def purge_command(dry_run: bool) -> None:
    """Anonymise attendee details the organisation's number of days after each seminar."""
    from seminars.models import utcnow
    from seminars.organising import purge

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
