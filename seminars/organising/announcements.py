"""Domain: telling attendees that a seminar changed or was cancelled.

The organiser's editor calls these after changing the seminar; the caller commits once, so
the change and its emails land together. Calendar files follow the seminar's `sequence`:
every change raises it, so calendars replace the event instead of adding a second one.
"""

from __future__ import annotations

from sqlalchemy import select, update

from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import Registration, Seminar, SeminarStatus, Status


def _raise_sequence(seminar: Seminar) -> int:
    db.session.flush()  # the organiser's edits first, so the refresh below cannot undo them
    db.session.execute(
        update(Seminar).where(Seminar.id == seminar.id).values(sequence=Seminar.sequence + 1),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(seminar, ["sequence"])
    return seminar.sequence


def _registrations(seminar: Seminar, statuses: tuple[Status, ...]) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.seminar_id == seminar.id,
                Registration.status.in_(statuses),
                Registration.anonymised_at.is_(None),
            )
            .order_by(Registration.id)
        )
    )


def seminar_changed(seminar: Seminar, *, notify: bool) -> int:
    """The time or place changed: new calendar sequence, and (if asked) an email to everyone
    with a seat or in line. Returns how many emails were queued."""
    sequence = _raise_sequence(seminar)
    if not notify:
        return 0
    return sum(
        outbox.queue_for_registration(
            "seminar_changed",
            registration,
            dedupe_key=f"seminar_changed:{sequence}:{registration.id}",
        )
        for registration in _registrations(seminar, (Status.CONFIRMED, Status.WAITING))
    )


def cancel_seminar(seminar: Seminar, message: str) -> int:
    """Cancel the seminar and tell everyone registered; their calendars drop the event.

    Returns how many emails were queued.
    """
    seminar.status = SeminarStatus.CANCELLED
    seminar.cancellation_message = message
    db.session.flush()
    _raise_sequence(seminar)
    return sum(
        outbox.queue_for_registration("seminar_cancelled", registration)
        for registration in _registrations(seminar, (Status.CONFIRMED, Status.WAITING))
    )
