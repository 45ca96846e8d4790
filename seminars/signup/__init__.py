"""Domain: signing up, the waiting list, cancelling and changing a registration.

Functions take plain values, flush, queue the emails the change causes and raise domain
errors; the caller commits once, so the change and its emails land together or not at all.

Capacity is guarded twice: the seminar row is locked (`FOR UPDATE` on PostgreSQL; on SQLite
every transaction begins IMMEDIATE, see `database.py`), and a seat is taken by a single
conditional UPDATE of `seats_taken`, so confirmed registrations never exceed capacity.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Connection, bindparam, func, insert, literal_column, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import Registration, Seminar, SeminarStatus, Status, registration_phase, utcnow
from seminars.text import email_key


class RegistrationError(Exception):
    """A signup or change that the seminar's rules do not allow."""


class RegistrationClosed(RegistrationError):
    pass


class SeminarFull(RegistrationError):
    pass


class SeminarChanged(RegistrationError):
    """The seminar's page changed after the signup was checked against it (its questions,
    say): check the signup again."""


class AlreadyRegistered(RegistrationError):
    """This address already holds a registration for the seminar (not a cancelled one)."""

    def __init__(self, registration_id: int):
        super().__init__(registration_id)
        self.registration_id = registration_id

    @property
    def registration(self) -> Registration:
        return db.session.get(Registration, self.registration_id)


@dataclass
class Attendee:
    name: str
    email: str
    organization: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    language: str = "sv"


def manage_token(registration: Registration) -> str:
    """The secret in the attendee's manage link: HMAC of a random salt, 256 bits.

    Deriving it (instead of storing it) lets the worker put the link in a reminder weeks
    later while the database holds only its hash.
    """
    return _token_for_salt(registration.token_salt)


def _token_for_salt(salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"manage:" + salt.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def registration_for_token(token: str) -> Registration | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        select(Registration).where(Registration.token_hash == _hash_token(token))
    ).scalar_one_or_none()


def _lock(seminar_id: int) -> Seminar:
    """Re-read the seminar under a row lock so counts are current for this transaction."""
    return db.session.execute(
        select(Seminar)
        .where(Seminar.id == seminar_id)
        # OF: the joined organisation is on the nullable side of an outer join.
        .with_for_update(of=Seminar)
        .execution_options(populate_existing=True)
    ).scalar_one()


_seminar = Seminar.__table__.c
_registration = Registration.__table__
# A signup's statements, built once and run as plain SQL (no ORM units of work): a signup
# is the one write that comes in bursts, and this is about a third of the ORM's cost.
_ACTIVE_REGISTRATION = select(_registration.c.id).where(
    _registration.c.seminar_id == bindparam("seminar"),
    _registration.c.email_key == bindparam("email_key"),
    # Inline, as the unique index states it: a planner uses a partial index only for a
    # query that repeats its condition literally (`status != ?` read every registration of
    # the seminar, on every signup).
    _registration.c.status != literal_column(f"'{Status.CANCELLED}'"),
)
# The seminar under its row lock, and whether this address already holds a registration.
_LOCK_FOR_SIGNUP = (
    select(
        _seminar.slug,
        _seminar.content_version,
        _seminar.status,
        _seminar.capacity,
        _seminar.seats_taken,
        _seminar.waitlist_enabled,
        _seminar.starts_at,
        _seminar.registration_opens_at,
        _seminar.registration_closes_at,
        _ACTIVE_REGISTRATION.scalar_subquery().label("existing_id"),
    )
    .where(_seminar.id == bindparam("seminar"))
    .with_for_update(of=Seminar.__table__)
)
_TAKE_SEAT = (
    update(Seminar.__table__)
    .where(_seminar.id == bindparam("seminar"))
    .values(seats_taken=_seminar.seats_taken + 1)
)
_TAKE_FREE_SEAT = _TAKE_SEAT.where(_seminar.seats_taken < _seminar.capacity)
# What the outbox needs of the new registration comes back with its id.
_INSERT_REGISTRATION = insert(_registration).returning(
    _registration.c.id,
    _registration.c.seminar_id,
    _registration.c.email,
    _registration.c.name,
    _registration.c.language,
)


def _count_seat(seminar: Seminar, change: int) -> None:
    """Mirror a seats_taken UPDATE on the loaded seminar without reading it back.

    Safe because callers hold the seminar's row lock (see `_lock`) for the whole transaction.
    """
    set_committed_value(seminar, "seats_taken", seminar.seats_taken + change)


def _take_seat(connection: Connection, seminar_id: int, *, override_capacity: bool) -> bool:
    statement = _TAKE_SEAT if override_capacity else _TAKE_FREE_SEAT
    return connection.execute(statement, {"seminar": seminar_id}).rowcount == 1


def _take_seat_of(seminar: Seminar, *, override_capacity: bool = False) -> bool:
    """`_take_seat`, keeping the loaded seminar's count in step."""
    connection = db.session.connection()
    took = _take_seat(connection, seminar.id, override_capacity=override_capacity)
    if took:
        _count_seat(seminar, +1)
    return took


def _free_seat(seminar: Seminar) -> None:
    db.session.execute(
        update(Seminar).where(Seminar.id == seminar.id).values(seats_taken=Seminar.seats_taken - 1),
        execution_options={"synchronize_session": False},
    )
    _count_seat(seminar, -1)


def active_registration(seminar: Seminar, email: str) -> Registration | None:
    parameters = {"seminar": seminar.id, "email_key": email_key(email)}
    registration_id = db.session.scalar(_ACTIVE_REGISTRATION, parameters)
    return None if registration_id is None else db.session.get(Registration, registration_id)


def register(
    seminar: Seminar | int,
    attendee: Attendee,
    *,
    now: datetime | None = None,
    by_organizer: bool = False,
    override_capacity: bool = False,
) -> Registration:
    """What happens when someone signs up: a seat, a place in line, or a refusal.

    Organisers may add people outside the registration window, and with
    `override_capacity` beyond the seminar's capacity. `seminar` may be an id; a loaded
    Seminar has its seats_taken kept in step.
    """
    seminar_id = seminar if isinstance(seminar, int) else seminar.id
    db.session.flush()  # the plain SQL below reads rows the caller may have changed
    signed_up = _sign_up(
        db.session.connection(),
        seminar_id,
        attendee,
        now or utcnow(),
        by_organizer=by_organizer,
        override_capacity=override_capacity,
    )
    if isinstance(seminar, Seminar):
        set_committed_value(seminar, "seats_taken", signed_up.seats_taken)
    # The row just inserted, as an object in the session, without reading it back.
    registration = Registration(id=signed_up.id, **signed_up.values)
    make_transient_to_detached(registration)
    db.session.add(registration)
    return registration


def sign_up(seminar_id: int, attendee: Attendee, *, content_version: int) -> str:
    """A public signup, committed in a short transaction of its own; returns the manage token.

    `register` without the ORM session: the signup is the one write that comes in bursts.
    The form was checked against the page at `content_version`; SeminarChanged if the page
    is newer. On AlreadyRegistered the mail with the existing link is committed first.
    """
    with db.engine.connect() as connection:
        try:
            signed_up = _sign_up(
                connection, seminar_id, attendee, utcnow(), content_version=content_version
            )
        except AlreadyRegistered:
            connection.commit()
            raise
        connection.commit()
    return signed_up.token


@dataclass(frozen=True)
class _SignedUp:
    id: int
    values: dict  # every column of the new row
    token: str  # the manage token (only its hash is in the row)
    seats_taken: int  # the seminar's, after this signup


def _sign_up(
    connection: Connection,
    seminar_id: int,
    attendee: Attendee,
    now: datetime,
    *,
    by_organizer: bool = False,
    override_capacity: bool = False,
    content_version: int | None = None,
) -> _SignedUp:
    """The signup's SQL, in `connection`'s transaction: lock the seminar, check, take a seat
    or a place in line, insert the registration and queue its email."""
    key = email_key(attendee.email)
    locked = connection.execute(_LOCK_FOR_SIGNUP, {"seminar": seminar_id, "email_key": key}).one()
    if content_version is not None and locked.content_version != content_version:
        raise SeminarChanged(locked.slug)
    if locked.status == SeminarStatus.CANCELLED or (
        not by_organizer and registration_phase(locked, now) != "open"
    ):
        raise RegistrationClosed(locked.slug)

    if locked.existing_id is not None:
        existing = connection.execute(
            select(_registration).where(_registration.c.id == locked.existing_id)
        ).one()
        outbox.queue_for_registration(
            "manage_link",
            existing,
            dedupe_suffix=str(int(now.timestamp()) // 600),
            connection=connection,
        )
        raise AlreadyRegistered(locked.existing_id)

    # Under the lock the count is current: when no seat is left, there is nothing to try.
    seat_left = override_capacity or locked.seats_taken < locked.capacity
    took = seat_left and _take_seat(connection, seminar_id, override_capacity=override_capacity)
    if took:
        status = Status.CONFIRMED
    elif locked.waitlist_enabled or by_organizer:
        status = Status.WAITING
    else:
        raise SeminarFull(locked.slug)

    salt = secrets.token_hex(16)
    token = _token_for_salt(salt)
    # Every column: an object made from these holds the whole row, nothing to load.
    values = {
        "seminar_id": seminar_id,
        "name": attendee.name,
        "email": attendee.email.strip(),
        "email_key": key,
        "organization": attendee.organization,
        "answers": attendee.answers,
        "status": status,
        "language": attendee.language,
        "token_salt": salt,
        "token_hash": _hash_token(token),
        "created_at": now,
        "updated_at": now,
        "cancelled_at": None,
        "checked_in_at": None,
        "attendance_answer": None,
        "added_by_organizer": by_organizer,
        "anonymised_at": None,
    }
    inserted = connection.execute(_INSERT_REGISTRATION, values).one()
    kind = "confirmed" if status == Status.CONFIRMED else "waiting"
    outbox.queue_for_registration(kind, inserted, connection=connection)
    return _SignedUp(inserted.id, values, token, locked.seats_taken + took)


def waiting_position(registration: Registration) -> tuple[int, int]:
    """(place in line, people in line) for a waiting registration."""
    waiting = (
        select(Registration.id)
        .where(
            Registration.seminar_id == registration.seminar_id,
            Registration.status == Status.WAITING,
        )
        .subquery()
    )
    ahead_and_total = db.session.execute(
        select(
            func.count().filter(waiting.c.id <= registration.id),
            func.count(),
        ).select_from(waiting)
    ).one()
    return ahead_and_total[0], ahead_and_total[1]


def promote_from_waiting_list(
    seminar: Seminar, *, now: datetime | None = None
) -> list[Registration]:
    """Fill free seats with the first people in line, in arrival order, and tell them."""
    now = now or utcnow()
    seminar = _lock(seminar.id)
    promoted = []
    while seminar.seats_taken < seminar.capacity:
        first_waiting = db.session.execute(
            select(Registration)
            .where(Registration.seminar_id == seminar.id, Registration.status == Status.WAITING)
            .order_by(Registration.id)
            .limit(1)
        ).scalar_one_or_none()
        if first_waiting is None or not _take_seat_of(seminar):
            break
        first_waiting.status = Status.CONFIRMED
        first_waiting.updated_at = now
        db.session.flush()
        outbox.queue_for_registration("promoted", first_waiting)
        promoted.append(first_waiting)
    return promoted


def confirm_waiting(
    registration: Registration, *, now: datetime | None = None, override_capacity: bool = False
) -> bool:
    """An organiser gives one waiting person a seat, out of turn if they like, and tells them.

    Raises SeminarFull when no seat is free, unless `override_capacity`. Returns False when
    the registration is no longer waiting (someone else moved or cancelled it first).
    """
    now = now or utcnow()
    seminar = _lock(registration.seminar_id)
    db.session.refresh(registration, ["status"])
    if registration.status != Status.WAITING:
        return False
    if not _take_seat_of(seminar, override_capacity=override_capacity):
        raise SeminarFull(seminar.slug)
    registration.status = Status.CONFIRMED
    registration.updated_at = now
    db.session.flush()
    outbox.queue_for_registration("promoted", registration)
    return True


def cancel(
    registration: Registration, *, now: datetime | None = None, notify: bool = True
) -> list[Registration]:
    """Cancel a registration; a freed seat goes to the first in line in the same transaction.

    Returns the people promoted from the waiting list.
    """
    now = now or utcnow()
    seminar = _lock(registration.seminar_id)
    db.session.refresh(registration, ["status"])
    if registration.status == Status.CANCELLED:
        return []
    was_confirmed = registration.status == Status.CONFIRMED
    registration.status = Status.CANCELLED
    registration.cancelled_at = now
    db.session.flush()
    if notify:
        outbox.queue_for_registration("cancelled", registration)
    if not was_confirmed:
        return []
    _free_seat(seminar)
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


def delete_own_data(registration: Registration, *, now: datetime | None = None) -> None:
    """The attendee's own "delete my data": leave the seminar and erase the registration."""
    cancel(registration, now=now, notify=False)
    anonymise(registration, now=now)
    db.session.flush()
