"""Participation modes: a hybrid seminar's two kinds of seat, on site and online.

Each mode of a hybrid seminar has its own seats and its own waiting list. The room's seats
are the seminar's `capacity` / `seats_taken`; the online seats are `online_capacity` (None:
unlimited) / `online_seats_taken`, guarded the same way (seats.py): under the seminar's row
lock, by one conditional UPDATE. A seminar that is only on site or only online has one
kind of seat, the seminar's own.

A seated person may switch mode from their link: at once when the other mode has a seat,
or else by joining its waiting list while keeping their seat (`wanted_mode`). A mode's
waiting list holds, in arrival order, the people waiting for a seat in it and the seated
people waiting to switch to it (since they asked); a freed seat goes to the first of them
in the same transaction, which may free a seat in the other mode in turn.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, or_, select, update

from seminars.api import webhooks
from seminars.extensions import db
from seminars.mail import folding
from seminars.mail import queue as outbox
from seminars.models import DetailsIn, Registration, Seminar, SeminarMode, Status, utcnow
from seminars.signup import seats, statements
from seminars.signup import sessions as session_seats

ONSITE = "onsite"
ONLINE = "online"
MODES = (ONSITE, ONLINE)

_seminar = Seminar.__table__.c
_registration = Registration.__table__.c

TAKE_ONLINE_SEAT = (
    update(Seminar.__table__)
    .where(_seminar.id == bindparam("seminar"))
    .values(online_seats_taken=_seminar.online_seats_taken + 1)
)
# The online capacity rule: a seat is taken only while one is free, or without a limit.
TAKE_FREE_ONLINE_SEAT = TAKE_ONLINE_SEAT.where(
    or_(_seminar.online_capacity.is_(None), _seminar.online_seats_taken < _seminar.online_capacity)
)
FREE_ONLINE_SEAT = (
    update(Seminar.__table__)
    .where(_seminar.id == bindparam("seminar"))
    .values(online_seats_taken=_seminar.online_seats_taken - 1)
)
# A place in one mode's line of a hybrid seminar.
PLACE_IN_LINE_FOR_MODE = statements.PLACE_IN_LINE.where(_registration.mode == bindparam("mode"))


@dataclass(frozen=True)
class Pool:
    """The seats a registration in `mode` takes: the room's (or the seminar's), or online."""

    mode: str
    online: bool
    capacity: int | None
    taken: int
    waitlist_enabled: bool

    @property
    def has_room(self) -> bool:
        return self.capacity is None or self.taken < self.capacity

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)


def chosen_mode(seminar_mode: str, mode: str | None) -> str:
    """The mode a registration gets: the asked one at a hybrid seminar (on site when none
    is asked), else the seminar's own."""
    if seminar_mode == SeminarMode.HYBRID:
        return mode if mode in MODES else ONSITE
    return ONLINE if seminar_mode == SeminarMode.ONLINE else ONSITE


def pool(seminar, mode: str | None) -> Pool:
    """For a Seminar, or a row with its mode, capacities, seats taken and waiting lists."""
    mode = chosen_mode(seminar.mode, mode)
    if seminar.mode == SeminarMode.HYBRID and mode == ONLINE:
        return Pool(
            mode,
            True,
            seminar.online_capacity,
            seminar.online_seats_taken,
            seminar.online_waitlist_enabled,
        )
    return Pool(mode, False, seminar.capacity, seminar.seats_taken, seminar.waitlist_enabled)


def pools(seminar) -> list[Pool]:
    """Every mode's seats: one pool, or two at a hybrid seminar (on site first)."""
    if seminar.mode == SeminarMode.HYBRID:
        return [pool(seminar, ONSITE), pool(seminar, ONLINE)]
    return [pool(seminar, None)]


def take_seat(
    connection: Connection, seminar_id: int, seats_of: Pool, *, override_capacity: bool = False
) -> bool:
    """One seat of the pool, if one is free (or the organiser overrides the capacity)."""
    if not seats_of.online:
        return seats.take_seat(connection, seminar_id, override_capacity=override_capacity)
    statement = TAKE_ONLINE_SEAT if override_capacity else TAKE_FREE_ONLINE_SEAT
    return connection.execute(statement, {"seminar": seminar_id}).rowcount == 1


def free_seat(connection: Connection, seminar_id: int, seats_of: Pool) -> None:
    if seats_of.online:
        connection.execute(FREE_ONLINE_SEAT, {"seminar": seminar_id})
    else:
        seats.free_seat(connection, seminar_id)


def place_in_line(
    connection: Connection, seminar_id: int, registration_id: int, hybrid: bool, mode: str
) -> tuple[int, int]:
    """(place, people in line) in the registration's line: its mode's at a hybrid seminar."""
    place = {"seminar": seminar_id, "registration": registration_id}
    if hybrid:
        return tuple(connection.execute(PLACE_IN_LINE_FOR_MODE, {**place, "mode": mode}).one())
    return tuple(connection.execute(statements.PLACE_IN_LINE, place).one())


def confirm_seat(registration: Registration, now: datetime) -> None:
    """A waiting person has their seat now (it is taken already), and is told in one email,
    which carries a reminder or attendance check due soon (mail/folding.py)."""
    registration.status = Status.CONFIRMED
    registration.updated_at = now
    db.session.flush()
    folded = folding.fold_into_seat_email(registration, registration.seminar, now)
    outbox.queue_for_registration(
        "promoted", registration, context={"folded": folded} if folded else None
    )
    webhooks.registration_event("registration.promoted", registration.id, registration.seminar_id)
    # A seat at the seminar: now the sessions chosen seat them where there is room (their
    # "promoted" mail lists them).
    connection = db.session.connection()
    waited_for = session_seats.waiting_sessions(connection, registration.id)
    if waited_for:
        session_seats.fill(connection, waited_for, now=now, quiet_for=frozenset({registration.id}))


def next_in_line(seminar_id: int, mode: str) -> Registration | None:
    """The first to get a freed seat in `mode`: whoever of the first waiting signup and the
    first seated person waiting to switch came first."""
    waiting = db.session.execute(
        select(Registration)
        .where(
            Registration.seminar_id == seminar_id,
            Registration.status == Status.WAITING,
            Registration.mode == mode,
        )
        .order_by(Registration.id)
        .limit(1)
    ).scalar_one_or_none()
    switching = db.session.execute(
        select(Registration)
        .where(
            Registration.seminar_id == seminar_id,
            Registration.status == Status.CONFIRMED,
            Registration.wanted_mode == mode,
        )
        .order_by(Registration.wanted_since, Registration.id)
        .limit(1)
    ).scalar_one_or_none()
    if waiting is None or switching is None:
        return waiting or switching
    return waiting if waiting.created_at <= switching.wanted_since else switching


def promote(seminar: Seminar, *, now: datetime | None = None) -> list[Registration]:
    """Fill a hybrid seminar's free seats in each mode from that mode's line, in arrival
    order, and tell each person. A switch frees a seat in the other mode, so the modes are
    filled again until nobody moves."""
    now = now or utcnow()
    moved: list[Registration] = []
    while True:
        before = len(moved)
        for mode in MODES:
            moved.extend(_fill(seminar, mode, now))
        if len(moved) == before:
            return moved


def _fill(seminar: Seminar, mode: str, now: datetime) -> list[Registration]:
    moved = []
    while True:
        seminar = seats.lock_seminar(seminar.id)
        seats_of = pool(seminar, mode)
        if not seats_of.has_room:
            return moved
        first = next_in_line(seminar.id, mode)
        if first is None or not _take(seminar, seats_of):
            return moved
        if first.status == Status.WAITING:
            confirm_seat(first, now)
        else:
            _move(seminar, first, mode, now)
        moved.append(first)


def _take(seminar: Seminar, seats_of: Pool, *, override_capacity: bool = False) -> bool:
    took = take_seat(
        db.session.connection(), seminar.id, seats_of, override_capacity=override_capacity
    )
    seats.forget_seat_count(seminar.id)
    return took


def _move(seminar: Seminar, registration: Registration, mode: str, now: datetime) -> None:
    """A seated person takes the seat already taken for them in `mode`, frees their old
    one, and is told."""
    free_seat(db.session.connection(), seminar.id, pool(seminar, registration.mode))
    seats.forget_seat_count(seminar.id)
    registration.mode = mode
    registration.wanted_mode = None
    registration.wanted_since = None
    registration.updated_at = now
    db.session.flush()
    outbox.queue_for_registration("mode_changed", registration, dedupe_suffix=str(now.timestamp()))


class Switch(enum.StrEnum):
    SWITCHED = "switched"  # a seat in the other mode, at once
    WAITING = "waiting"  # in line for the other mode, keeping the seat held
    STAYED = "stayed"  # the wish to switch is withdrawn
    FULL = "full"  # no seat there and no line to join
    UNCHANGED = "unchanged"


def switch_mode(registration: Registration, mode: str, *, now: datetime | None = None) -> Switch:
    """The attendee asks for `mode` at a hybrid seminar. A free seat there is theirs at once
    and their old seat goes to the first in its line, in this transaction. A seated person
    may otherwise wait for a seat there, keeping their own; a waiting person keeps their
    place in line when the other mode is full."""
    now = now or utcnow()
    seminar = seats.lock_seminar(registration.seminar_id)
    db.session.refresh(registration, ["status", "mode", "wanted_mode", "wanted_since"])
    if not seminar.is_hybrid or mode not in MODES or registration.status == Status.CANCELLED:
        return Switch.UNCHANGED
    if mode == registration.mode:
        if registration.wanted_mode is None:
            return Switch.UNCHANGED
        registration.wanted_mode = registration.wanted_since = None
        db.session.flush()
        return Switch.STAYED
    target = pool(seminar, mode)
    if _take(seminar, target):
        if registration.status == Status.CONFIRMED:
            _move(seminar, registration, mode, now)
            promote(seminar, now=now)
        else:
            registration.mode = mode
            confirm_seat(registration, now)
        webhooks.registration_event("registration.changed", registration.id, seminar.id, now=now)
        return Switch.SWITCHED
    if registration.status != Status.CONFIRMED or not target.waitlist_enabled:
        return Switch.FULL
    registration.wanted_mode = mode
    registration.wanted_since = now
    db.session.flush()
    return Switch.WAITING


def online_details_for(
    seminar: Seminar, registration: Registration | None, *, reminder: bool = False
) -> bool:
    """Whether the joining link and instructions go to this person: to someone seated who
    takes part online, from the confirmation on, or only in the reminders, as the organiser
    chose. At an on-site seminar the instructions (a stream, say) go to everyone seated."""
    if registration is None or registration.status != Status.CONFIRMED:
        return False
    if not (seminar.online_link or seminar.online_info):
        return False
    if seminar.mode == SeminarMode.ONSITE:
        return True
    if not registration.online:
        return False
    return reminder or seminar.online_details_in == DetailsIn.CONFIRMATION


def venue_for(seminar: Seminar, registration: Registration | None) -> bool:
    """Whether the venue (and the door's check-in) concerns this person: not someone who
    takes part online in a hybrid seminar."""
    return not (seminar.is_hybrid and registration is not None and registration.online)
