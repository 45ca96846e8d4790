"""A seminar's seats: its row lock, and taking or freeing one seat at a time.

Capacity is guarded twice. The seminar row is locked for the whole transaction (`FOR
UPDATE` on PostgreSQL; on SQLite every writing transaction begins IMMEDIATE, see
database.py), so counts read under it are current; and a seat is taken by one conditional
UPDATE of `seats_taken`, so confirmed registrations never exceed the capacity.

The seat statements are plain SQL on a connection, which the ORM session does not watch:
a Seminar loaded in the session is told to read its count again (`forget_seat_count`).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from seminars.extensions import db
from seminars.models import Seminar
from seminars.signup import statements


def lock_seminar(seminar_id: int) -> Seminar:
    """The seminar, read again under its row lock, so its counts are current for this
    transaction (waiting list moves, cancellations, an organiser's edit)."""
    return db.session.execute(
        select(Seminar)
        .where(Seminar.id == seminar_id)
        # OF: the joined organisation is on the nullable side of an outer join.
        .with_for_update(of=Seminar)
        .execution_options(populate_existing=True)
    ).scalar_one()


def take_seat(connection: Connection, seminar_id: int, *, override_capacity: bool = False) -> bool:
    """One seat, if one is free (or the organiser overrides the capacity)."""
    statement = statements.TAKE_SEAT if override_capacity else statements.TAKE_FREE_SEAT
    return connection.execute(statement, {"seminar": seminar_id}).rowcount == 1


def free_seat(connection: Connection, seminar_id: int) -> None:
    connection.execute(statements.FREE_SEAT, {"seminar": seminar_id})


def forget_seat_count(seminar_id: int) -> None:
    """A Seminar loaded in the session reads its seat count again when next used."""
    seminar = db.session.identity_map.get(db.session.identity_key(Seminar, seminar_id))
    if seminar is not None:
        db.session.expire(seminar, ["seats_taken", "online_seats_taken"])
