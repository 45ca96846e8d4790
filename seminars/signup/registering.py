"""Signing up: the one way in, for the public form, organisers, the import, the demo and
the API. `sign_up` says what happens when someone signs up, and returns the outcome for
the caller to act on; the caller commits once, so the registration and its email land
together or not at all.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Row

from seminars.api import webhooks
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import SeminarMode, SeminarStatus, Status, registration_phase, utcnow
from seminars.signup import modes, seats, statements, tokens
from seminars.signup import sessions as session_seats
from seminars.text import email_key


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    organization: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    language: str = "sv"


class Outcome(enum.StrEnum):
    SEATED = "seated"
    WAITING = "waiting"
    ALREADY_REGISTERED = "already_registered"
    FULL = "full"  # no seat and no waiting list
    CLOSED = "closed"  # cancelled, or outside the registration window
    CHANGED = "changed"  # the seminar's page changed since the signup was checked against it
    SESSION_FULL = "session_full"  # a chosen session is full and has no waiting list


@dataclass(frozen=True)
class SignupOutcome:
    kind: Outcome
    # The new registration's id, or (already registered) the one the address holds.
    registration_id: int | None = None
    # The new registration's manage token: only its hash is stored, so it is here or nowhere.
    token: str | None = None
    # Place on the waiting list, counting from 1.
    position: int | None = None
    # Group id → "seated" or "waiting", for the sessions chosen.
    session_states: Mapping[int, str] = field(default_factory=dict)

    @property
    def registered(self) -> bool:
        """Whether this signup made a registration (a seat or a place in line)."""
        return self.kind in (Outcome.SEATED, Outcome.WAITING)

    @property
    def accepted(self) -> bool:
        """Whether the seminar took the signup: a registration made, or the address holds
        one already. A public answer must not tell these apart (DESIGN guarantee 5)."""
        return self.registered or self.kind == Outcome.ALREADY_REGISTERED


def sign_up(
    seminar_id: int,
    attendee: Attendee,
    *,
    connection: Connection | None = None,
    now: datetime | None = None,
    content_version: int | None = None,
    by_organizer: bool = False,
    override_capacity: bool = False,
    place_in_line: bool = True,
    mode: str | None = None,
    sessions: Mapping[int, int] | None = None,
) -> SignupOutcome:
    """What happens when someone signs up: a seat, a place in line, or why not.

    Locks the seminar and checks for an existing registration in one statement, then
    takes a seat with one conditional UPDATE (or joins the waiting list), inserts the
    registration and queues its email, all in one transaction: `connection`'s (a public
    signup, on a connection of its own) or else the ORM session's (organisers, whose audit
    rows go with it). Nothing is committed here.

    `content_version`: the version of the page the signup was checked against (its
    questions); CHANGED when the seminar's page is newer. Someone already registered is
    sent their link again. Closed and full are decided before the address is looked at, so
    a caller can answer the other outcomes alike and reveal nobody's registration.

    `by_organizer`: an organiser adds the person, also outside the registration window and
    to the waiting list when the seminar has none, and tells them themselves if they are
    registered already; `override_capacity` gives a seat beyond the capacity.

    `place_in_line`: count a waiting signup's place in line. That counts everyone in line,
    under the seminar's lock, so a caller whose answer shows no place leaves it out.

    `mode`: "onsite" or "online" at a hybrid seminar, whose modes have their own seats and
    waiting lists (modes.py); on site when not given. Other seminars have one mode.

    `sessions`: the parallel sessions chosen, group id → session id (signup/sessions.py): a
    seat in each that has one (for a seated signup), else a place in its line; SESSION_FULL
    when one is full without a waiting list, CHANGED when one is not this seminar's.
    """
    now = now or utcnow()
    key = email_key(attendee.email)
    with _transaction(connection, seminar_id) as connection:
        locked = connection.execute(
            statements.LOCK_FOR_SIGNUP, {"seminar": seminar_id, "email_key": key}
        ).one()
        # Under the lock the count is current: when no seat is left, there is nothing to try.
        seats_of = modes.pool(locked, mode)
        seat_left = override_capacity or seats_of.has_room
        may_wait = seats_of.waitlist_enabled or by_organizer
        refusal = _refusal(
            connection,
            seminar_id,
            locked,
            now,
            content_version=content_version,
            by_organizer=by_organizer,
            seat_left=seat_left,
            may_wait=may_wait,
            sessions=sessions,
        )
        if refusal is not None:
            return refusal
        if locked.existing_id is not None:
            return _already_registered(connection, locked.existing_id, now, by_organizer)

        if seat_left and modes.take_seat(
            connection, seminar_id, seats_of, override_capacity=override_capacity
        ):
            status = Status.CONFIRMED
        elif may_wait:
            status = Status.WAITING
        else:
            return SignupOutcome(Outcome.FULL)

        token, registration = _insert(
            connection, seminar_id, attendee, key, status, now, by_organizer, seats_of.mode
        )
        if registration is None:
            return _signed_up_meanwhile(
                connection, seminar_id, seats_of, key, status, now, by_organizer
            )
        session_states = session_seats.take_choices(
            connection,
            registration.id,
            sessions or {},
            seated=status == Status.CONFIRMED,
            override_capacity=override_capacity,
            now=now,
        )
        _tell(connection, locked, registration, status, now)
        if status == Status.CONFIRMED:
            return SignupOutcome(Outcome.SEATED, registration.id, token, None, session_states)
        position = None
        if place_in_line:
            hybrid = locked.mode == SeminarMode.HYBRID
            position = modes.place_in_line(
                connection, seminar_id, registration.id, hybrid, seats_of.mode
            )[0]
        return SignupOutcome(Outcome.WAITING, registration.id, token, position, session_states)


def _signed_up_meanwhile(
    connection: Connection,
    seminar_id: int,
    seats_of: modes.Pool,
    key: str,
    status: Status,
    now: datetime,
    by_organizer: bool,
) -> SignupOutcome:
    """The address was signed up while this signup waited for the seminar's lock: the seat
    it took goes back, and the person has the registration they had."""
    if status == Status.CONFIRMED:
        modes.free_seat(connection, seminar_id, seats_of)
    existing = connection.execute(
        statements.ACTIVE_REGISTRATION, {"seminar": seminar_id, "email_key": key}
    ).scalar_one()
    return _already_registered(connection, existing, now, by_organizer)


def _tell(
    connection: Connection, locked: Row, registration: Row, status: Status, now: datetime
) -> None:
    """A new registration's email, and its webhook event when anyone listens."""
    if locked.has_webhooks:
        webhooks.registration_event(
            "registration.created",
            registration.id,
            registration.seminar_id,
            connection=connection,
            now=now,
        )
    kind = "confirmed" if status == Status.CONFIRMED else "waiting"
    outbox.queue_for_registration(kind, registration, connection=connection)


def _insert(
    connection: Connection,
    seminar_id: int,
    attendee: Attendee,
    key: str,
    status: Status,
    now: datetime,
    by_organizer: bool,
    mode: str,
) -> tuple[str, Row | None]:
    """(manage token, the new registration's row), or no row when the address holds an
    active registration already."""
    salt = tokens.new_salt()
    token = tokens.token_for_salt(salt)
    registration = connection.execute(
        statements.insert_registration(connection.dialect.name),
        {
            "seminar_id": seminar_id,
            "name": attendee.name,
            "email": attendee.email.strip(),
            "email_key": key,
            "organization": attendee.organization,
            "answers": attendee.answers,
            "status": status,
            "language": attendee.language,
            "token_salt": salt,
            "token_hash": tokens.hash_token(token),
            "created_at": now,
            "updated_at": now,
            "added_by_organizer": by_organizer,
            "mode": mode,
        },
    ).one_or_none()
    return token, registration


def _refusal(
    connection: Connection,
    seminar_id: int,
    locked: Row,
    now: datetime,
    *,
    content_version: int | None,
    by_organizer: bool,
    seat_left: bool,
    may_wait: bool,
    sessions: Mapping[int, int] | None,
) -> SignupOutcome | None:
    """Why the signup is refused, if it is: the page changed, registration is closed, the
    seminar or a chosen session is full. Decided before the address is looked at, so a
    full seminar answers alike whoever is registered (DESIGN guarantee 5)."""
    if content_version is not None and locked.content_version != content_version:
        return SignupOutcome(Outcome.CHANGED)
    if _closed(locked, now, by_organizer=by_organizer):
        return SignupOutcome(Outcome.CLOSED)
    if not (seat_left or may_wait):
        return SignupOutcome(Outcome.FULL)
    if not sessions:
        return None
    problem = session_seats.check_choices(connection, seminar_id, sessions, may_wait=by_organizer)
    if problem == "unknown":
        return SignupOutcome(Outcome.CHANGED)
    return SignupOutcome(Outcome.SESSION_FULL) if problem == "full" else None


def _closed(locked: Row, now: datetime, *, by_organizer: bool) -> bool:
    """A cancelled seminar takes nobody; organisers may add people outside the window."""
    if locked.status == SeminarStatus.CANCELLED:
        return True
    return not by_organizer and registration_phase(locked, now) != "open"


@contextmanager
def _transaction(connection: Connection | None, seminar_id: int) -> Iterator[Connection]:
    """`connection`, or the ORM session's: flushed first, since the plain SQL reads rows the
    caller may have changed, and afterwards its loaded seminar reads the seat count again."""
    if connection is not None:
        yield connection
        return
    db.session.flush()
    yield db.session.connection()
    seats.forget_seat_count(seminar_id)


def _already_registered(
    connection: Connection, registration_id: int, now: datetime, by_organizer: bool
) -> SignupOutcome:
    """The address holds a registration: it is sent its link again, unless an organiser
    added the person (they see the registration and tell them themselves)."""
    if not by_organizer:
        _send_link_again(connection, registration_id, now)
    return SignupOutcome(Outcome.ALREADY_REGISTERED, registration_id=registration_id)


def _send_link_again(connection: Connection, registration_id: int, now: datetime) -> None:
    """The manage link, to the address that holds the registration: at most one such mail
    per registration in ten minutes, however often the form is sent."""
    registration = connection.execute(
        statements.REGISTRATION_BY_ID, {"registration": registration_id}
    ).one()
    outbox.queue_for_registration(
        "manage_link",
        registration,
        dedupe_suffix=str(int(now.timestamp()) // 600),
        connection=connection,
    )
