"""A signup's SQL, built once and run as plain SQL on a connection (no ORM unit of work).

A signup is the one write that comes in bursts (a mailing to every member of a union), and
composing these statements on every signup would cost more than running them.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, exists, func, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from seminars.models import Registration, Seminar, Status, WebhookEndpoint, seminar_cohosts

_seminar = Seminar.__table__.c
_registration = Registration.__table__

ACTIVE_REGISTRATION = select(_registration.c.id).where(
    _registration.c.seminar_id == bindparam("seminar"),
    _registration.c.email_key == bindparam("email_key"),
    # Inline, as the unique index states it: a planner uses a partial index only for a
    # query that repeats its condition literally (`status != ?` read every registration of
    # the seminar, on every signup).
    _registration.c.status != literal_column(f"'{Status.CANCELLED}'"),
)

_endpoint = WebhookEndpoint.__table__.c

# Whether an enabled webhook endpoint of the seminar's host or co-hosts exists: a signup
# with nobody to tell spends no query on webhooks.
HAS_WEBHOOKS = exists().where(
    _endpoint.enabled,
    or_(
        _endpoint.organization_id == _seminar.organization_id,
        _endpoint.organization_id.in_(
            select(seminar_cohosts.c.organization_id).where(
                seminar_cohosts.c.seminar_id == _seminar.id
            )
        ),
    ),
)

# The seminar under its row lock (on SQLite the transaction began IMMEDIATE, see
# database.py), and whether this address already holds a registration: one round trip.
LOCK_FOR_SIGNUP = (
    select(
        _seminar.slug,
        _seminar.content_version,
        _seminar.status,
        _seminar.capacity,
        _seminar.seats_taken,
        _seminar.waitlist_enabled,
        _seminar.mode,
        _seminar.online_capacity,
        _seminar.online_seats_taken,
        _seminar.online_waitlist_enabled,
        _seminar.starts_at,
        _seminar.registration_opens_at,
        _seminar.registration_closes_at,
        ACTIVE_REGISTRATION.scalar_subquery().label("existing_id"),
        HAS_WEBHOOKS.label("has_webhooks"),
    )
    .where(_seminar.id == bindparam("seminar"))
    .with_for_update(of=Seminar.__table__)
)

TAKE_SEAT = (
    update(Seminar.__table__)
    .where(_seminar.id == bindparam("seminar"))
    .values(seats_taken=_seminar.seats_taken + 1)
)
# The capacity rule itself: a seat is taken only while one is free, whatever else runs.
TAKE_FREE_SEAT = TAKE_SEAT.where(_seminar.seats_taken < _seminar.capacity)
FREE_SEAT = (
    update(Seminar.__table__)
    .where(_seminar.id == bindparam("seminar"))
    .values(seats_taken=_seminar.seats_taken - 1)
)


@cache
def insert_registration(dialect: str):
    """The new registration, or no row when the address holds an active one already (the
    unique index says so). What the outbox needs of it comes back with its id.

    The lock statement's address check can miss a registration: on PostgreSQL it reads as
    of the moment the statement began, before it waited for the seminar's lock, so a
    signup of the same address committed meanwhile is not seen there, only here."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_registration)
        .on_conflict_do_nothing(
            index_elements=["seminar_id", "email_key"],
            index_where=_registration.c.status != literal_column(f"'{Status.CANCELLED}'"),
        )
        .returning(
            _registration.c.id,
            _registration.c.seminar_id,
            _registration.c.email,
            _registration.c.name,
            _registration.c.language,
        )
    )


# What the outbox needs to send an existing registration its link again.
REGISTRATION_BY_ID = select(
    _registration.c.id,
    _registration.c.seminar_id,
    _registration.c.email,
    _registration.c.name,
    _registration.c.language,
).where(_registration.c.id == bindparam("registration"))

# A waiting registration's place in line and how many are in line: one pass over the
# index on (seminar, status, id), no registration row read, but over everyone in line.
PLACE_IN_LINE = select(
    func.count().filter(_registration.c.id <= bindparam("registration")).label("position"),
    func.count().label("total"),
).where(
    _registration.c.seminar_id == bindparam("seminar"),
    _registration.c.status == literal_column(f"'{Status.WAITING}'"),
)
