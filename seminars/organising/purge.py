"""Data retention: attendee details are anonymised a set number of days after a seminar.

Each organisation sets its own number of days (`Organization.retention_days`, default 90):
authorities keep public records under archive rules and may need longer. The seminar's host
decides for a co-hosted seminar. Rows stay, stripped of everything that identifies a person,
so attendee counts and statistics survive; every run is recorded as a `PurgeRun`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.models import Organization, PurgeRun, Registration, Seminar, utcnow

PURGE_EVERY = timedelta(days=1)


def due_registrations(now: datetime) -> list[Registration]:
    """Registrations still holding personal details whose seminar ended long enough ago."""
    due: list[Registration] = []
    for organization in db.session.scalars(select(Organization)):
        ended_before = now - timedelta(days=organization.retention_days)
        due.extend(
            db.session.scalars(
                select(Registration)
                .join(Seminar, Seminar.id == Registration.seminar_id)
                .where(
                    Seminar.organization_id == organization.id,
                    Seminar.ends_at < ended_before,
                    Registration.anonymised_at.is_(None),
                )
                .order_by(Registration.id)
            )
        )
    return due


def purge(now: datetime | None = None) -> PurgeRun:
    """Anonymise every due registration and record the run; the caller commits."""
    now = now or utcnow()
    due = due_registrations(now)
    for registration in due:
        signup.anonymise(registration, now=now)
    run = PurgeRun(
        ran_at=now,
        registrations_anonymised=len(due),
        seminars=len({registration.seminar_id for registration in due}),
    )
    db.session.add(run)
    db.session.flush()
    current_app.logger.info(
        "purge: anonymised %d registrations of %d seminars",
        run.registrations_anonymised,
        run.seminars,
    )
    return run


def last_run() -> PurgeRun | None:
    return db.session.scalars(select(PurgeRun).order_by(PurgeRun.ran_at.desc()).limit(1)).first()


def purge_if_due(now: datetime | None = None) -> PurgeRun | None:
    """The worker's daily purge: runs when the last recorded run is a day old, or there is none.

    The database remembers the last run, so restarts and several workers keep to once a day;
    should two overlap, the second finds nothing left to anonymise.
    """
    now = now or utcnow()
    previous = last_run()
    if previous is not None and now - previous.ran_at < PURGE_EVERY:
        return None
    return purge(now)
