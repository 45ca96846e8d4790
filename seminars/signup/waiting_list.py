"""The waiting list: places in line, and moving people up to free seats.

People move up in arrival order, by themselves, in the same transaction as the change that
freed the seat (a cancellation, a raised capacity); an organiser may also move one person
up out of turn.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from seminars.api import webhooks
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import Registration, Seminar, Status, utcnow
from seminars.signup import seats, statements


class SeminarFull(Exception):
    """No seat is free for the person an organiser wants to move up."""


def waiting_position(registration: Registration) -> tuple[int, int]:
    """(place in line, people in line) for a waiting registration."""
    place = {"seminar": registration.seminar_id, "registration": registration.id}
    position, total = db.session.execute(statements.PLACE_IN_LINE, place).one()
    return position, total


def promote_from_waiting_list(
    seminar: Seminar, *, now: datetime | None = None
) -> list[Registration]:
    """Fill free seats with the first people in line, in arrival order, and tell them."""
    now = now or utcnow()
    seminar = seats.lock_seminar(seminar.id)
    promoted = []
    while seminar.seats_taken < seminar.capacity:
        first_waiting = db.session.execute(
            select(Registration)
            .where(Registration.seminar_id == seminar.id, Registration.status == Status.WAITING)
            .order_by(Registration.id)
            .limit(1)
        ).scalar_one_or_none()
        if first_waiting is None or not _take_seat(seminar):
            break
        _confirm(first_waiting, now)
        promoted.append(first_waiting)
    return promoted


def confirm_waiting(
    registration: Registration, *, now: datetime | None = None, override_capacity: bool = False
) -> bool:
    """An organiser gives one waiting person a seat, out of turn if they like, and tells them.

    Raises SeminarFull when no seat is free, unless `override_capacity`. Returns False when
    the registration is no longer waiting (someone else moved or cancelled it first).
    """
    seminar = seats.lock_seminar(registration.seminar_id)
    db.session.refresh(registration, ["status"])
    if registration.status != Status.WAITING:
        return False
    if not _take_seat(seminar, override_capacity=override_capacity):
        raise SeminarFull(seminar.slug)
    _confirm(registration, now or utcnow())
    return True


def _take_seat(seminar: Seminar, *, override_capacity: bool = False) -> bool:
    took = seats.take_seat(db.session.connection(), seminar.id, override_capacity=override_capacity)
    seats.forget_seat_count(seminar.id)
    return took


def _confirm(registration: Registration, now: datetime) -> None:
    registration.status = Status.CONFIRMED
    registration.updated_at = now
    db.session.flush()
    outbox.queue_for_registration("promoted", registration)
    webhooks.registration_event("registration.promoted", registration.id, registration.seminar_id)
