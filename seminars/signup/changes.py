"""What happens to a registration after the signup: cancelling, changing the answers,
anonymising it, and the attendee's own "delete my data"."""

from __future__ import annotations

from datetime import datetime

from seminars.api import webhooks
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import Registration, Status, utcnow
from seminars.signup import seats
from seminars.signup.waiting_list import promote_from_waiting_list


def cancel(
    registration: Registration, *, now: datetime | None = None, notify: bool = True
) -> list[Registration]:
    """Cancel a registration; a freed seat goes to the first in line in the same transaction.

    Returns the people promoted from the waiting list.
    """
    now = now or utcnow()
    seminar = seats.lock_seminar(registration.seminar_id)
    db.session.refresh(registration, ["status"])
    if registration.status == Status.CANCELLED:
        return []
    was_confirmed = registration.status == Status.CONFIRMED
    registration.status = Status.CANCELLED
    registration.cancelled_at = now
    db.session.flush()
    if notify:
        outbox.queue_for_registration("cancelled", registration)
    webhooks.registration_event("registration.cancelled", registration.id, seminar.id, now=now)
    if not was_confirmed:
        return []
    seats.free_seat(db.session.connection(), seminar.id)
    seats.forget_seat_count(seminar.id)
    return promote_from_waiting_list(seminar, now=now)


def change_answers(
    registration: Registration, *, name: str, organization: str, answers: dict[str, str]
) -> bool:
    """Store the attendee's new answers; returns whether anything changed (and mails then)."""
    if (registration.name, registration.organization, registration.answers) == (
        name,
        organization,
        answers,
    ):
        return False
    registration.name = name
    registration.organization = organization
    registration.answers = answers
    registration.updated_at = utcnow()
    db.session.flush()
    outbox.queue_for_registration(
        "answers_changed", registration, dedupe_suffix=str(registration.updated_at.timestamp())
    )
    webhooks.registration_event("registration.changed", registration.id, registration.seminar_id)
    return True


def anonymise(registration: Registration, *, now: datetime | None = None) -> None:
    """Remove everything that identifies the attendee; the row stays for the counts."""
    now = now or utcnow()
    registration.name = ""
    registration.email = ""
    registration.email_key = f"anonymised-{registration.id}"
    registration.organization = ""
    registration.answers = {}
    registration.anonymised_at = now
    outbox.forget_recipient(registration)
    webhooks.forget_registration(registration.id)


def delete_own_data(registration: Registration, *, now: datetime | None = None) -> None:
    """The attendee's own "delete my data": leave the seminar and erase the registration."""
    cancel(registration, now=now, notify=False)
    anonymise(registration, now=now)
    db.session.flush()
