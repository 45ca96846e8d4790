"""What happens to a registration after the signup: cancelling, changing the answers or
the address, anonymising it, and the attendee's own "delete my data"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from seminars.api import webhooks
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import OutboxMessage, OutboxStatus, Registration, Status, utcnow
from seminars.signup import modes, seats, tokens
from seminars.signup import sessions as session_seats
from seminars.signup.waiting_list import promote_from_waiting_list
from seminars.text import email_key


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
    registration.wanted_mode = registration.wanted_since = None
    db.session.flush()
    if notify:
        outbox.queue_for_registration("cancelled", registration)
    connection = db.session.connection()
    freed_sessions = session_seats.release(connection, registration.id)
    webhooks.registration_event("registration.cancelled", registration.id, seminar.id, now=now)
    if not was_confirmed:
        return []
    modes.free_seat(connection, seminar.id, modes.pool(seminar, registration.mode))
    seats.forget_seat_count(seminar.id)
    promoted = promote_from_waiting_list(seminar, now=now)
    # Those promoted were seated in their sessions first, where there was room.
    session_seats.fill(connection, freed_sessions, now=now)
    return promoted


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


class AddressTaken(Exception):
    """Another active registration of the seminar has this address (one per person)."""


def change_email(
    registration: Registration,
    email: str,
    *,
    new_link: bool,
    by_organizer: bool = False,
    now: datetime | None = None,
) -> str | None:
    """Correct a registration's address; the seat or place in line stays as it is.

    The new address gets the confirmation with the manage link, the old one a short notice
    without it; mail still waiting to go out goes to the new address, and the warning that
    the address does not work ends. Raises AddressTaken when another active registration of
    the seminar has the address. `new_link`: the old link stops working and a new one goes
    to the new address (an organiser's correction: the old address may be someone else's
    mailbox, which got the link). Returns the new token when one was made, else None.
    Nothing changes, and None is returned, for the address it has already.
    """
    now = now or utcnow()
    email = email.strip()
    seats.lock_seminar(registration.seminar_id)
    db.session.refresh(registration)
    if email == registration.email:
        return None
    key = email_key(email)
    taken = db.session.scalar(
        select(Registration.id).where(
            Registration.seminar_id == registration.seminar_id,
            Registration.email_key == key,
            Registration.status != Status.CANCELLED,
            Registration.id != registration.id,
        )
    )
    if taken is not None:
        raise AddressTaken(email)
    old_email = registration.email
    stamp = str(now.timestamp())
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.to_email == old_email,
        )
        .values(to_email=email),
        execution_options={"synchronize_session": False},
    )
    outbox.queue(
        "address_changed_notice",
        dedupe_key=f"address_changed_notice:{registration.id}:{stamp}",
        to_email=old_email,
        to_name=registration.name,
        language=registration.language,
        seminar_id=registration.seminar_id,
        registration_id=registration.id,
        context={"by_organizer": by_organizer},
    )
    token = None
    if new_link:
        registration.token_salt = tokens.new_salt()
        token = tokens.token_for_salt(registration.token_salt)
        registration.token_hash = tokens.hash_token(token)
    registration.email = email
    registration.email_key = key
    registration.undeliverable_email = ""
    registration.updated_at = now
    db.session.flush()
    outbox.queue_for_registration(
        "address_changed", registration, dedupe_suffix=stamp, context={"by_organizer": by_organizer}
    )
    return token


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
