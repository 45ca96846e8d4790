"""Parallel sessions: each session's seats and waiting list, and moving people between them.

Every change here runs under the seminar's row lock (taken by the signup, the cancellation
or `lock_seminar`), so counts read are current; and a session seat is taken by one
conditional UPDATE of its `seats_taken`, so no session is ever over its capacity.

Only a confirmed registration holds a session seat. Someone on the seminar's waiting list
keeps their choice as waiting, and is seated in it (if it has room) when they get a seat at
the seminar. Lines move in arrival order (the choice's id), wishes to move included: a
freed seat goes to the first in line, in the same transaction, with a mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, literal_column, or_, select, update

from seminars.api import webhooks
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import (
    ChoiceState,
    Registration,
    Seminar,
    SeminarSession,
    SessionChoice,
    SessionGroup,
    Status,
    utcnow,
)
from seminars.signup import seats, statements

_session = SeminarSession.__table__.c
_group = SessionGroup.__table__.c
_choice = SessionChoice.__table__
_registration = Registration.__table__.c

_WAITING = literal_column(f"'{ChoiceState.WAITING}'")

# The chosen sessions, only those of this seminar's groups.
CHOSEN_SESSIONS = (
    select(
        _session.id,
        _session.group_id,
        _session.capacity,
        _session.seats_taken,
        _session.waitlist_enabled,
    )
    .join(SessionGroup.__table__, _group.id == _session.group_id)
    .where(
        _group.seminar_id == bindparam("seminar"),
        _session.id.in_(bindparam("sessions", expanding=True)),
    )
)
# Taking or freeing a seat says whether the session became full or had room again: the
# public page shows "full", so then its version is raised (see content_versions.py).
_AFTER = (_session.group_id, _session.seats_taken, _session.capacity)
_TAKE = (
    update(SeminarSession.__table__)
    .where(_session.id == bindparam("session"))
    .values(seats_taken=_session.seats_taken + 1)
    .returning(*_AFTER)
)
# The capacity rule itself: a seat is taken only while one is free (or it is unlimited).
TAKE_FREE_SESSION_SEAT = _TAKE.where(
    or_(_session.capacity.is_(None), _session.seats_taken < _session.capacity)
)
FREE_SESSION_SEAT = (
    update(SeminarSession.__table__)
    .where(_session.id == bindparam("session"))
    .values(seats_taken=_session.seats_taken - 1)
    .returning(*_AFTER)
)
RAISE_CONTENT_VERSION = (
    update(Seminar.__table__)
    .where(
        Seminar.__table__.c.id
        == select(_group.seminar_id).where(_group.id == bindparam("group")).scalar_subquery()
    )
    .values(content_version=Seminar.__table__.c.content_version + 1)
)
INSERT_CHOICE = insert(_choice)
# The first confirmed registration in a session's line (wishes to move included).
FIRST_IN_LINE = (
    select(_choice.c.id, _choice.c.registration_id, _choice.c.group_id, _choice.c.wish)
    .join(Registration.__table__, _registration.id == _choice.c.registration_id)
    .where(
        _choice.c.session_id == bindparam("session"),
        _choice.c.state == _WAITING,
        _registration.status == literal_column(f"'{Status.CONFIRMED}'"),
    )
    .order_by(_choice.c.id)
    .limit(1)
)
HELD_CHOICE = select(_choice.c.id, _choice.c.session_id, _choice.c.state).where(
    _choice.c.registration_id == bindparam("registration"),
    _choice.c.group_id == bindparam("group"),
    _choice.c.wish.is_(False),
)


class SessionFull(Exception):
    """The session has no free seat (and, where that matters, no waiting list)."""


class UnknownSession(Exception):
    """The session is not one of this seminar's, or not of that group."""


@dataclass(frozen=True)
class Moved:
    """Someone seated in a session from its line; `from_session` when it was a wish."""

    registration_id: int
    session_id: int
    from_session: int | None = None


def check_choices(
    connection: Connection, seminar_id: int, chosen: Mapping[int, int], *, may_wait: bool
) -> str | None:
    """Whether a signup's choices (group id → session id) can be taken: None when they can,
    "unknown" when one is not this seminar's session of that group, "full" when one is full
    and nobody may wait for it."""
    rows = connection.execute(
        CHOSEN_SESSIONS, {"seminar": seminar_id, "sessions": list(chosen.values())}
    ).all()
    by_id = {row.id: row for row in rows}
    for group_id, session_id in chosen.items():
        row = by_id.get(session_id)
        if row is None or row.group_id != group_id:
            return "unknown"
        full = row.capacity is not None and row.seats_taken >= row.capacity
        if full and not (row.waitlist_enabled or may_wait):
            return "full"
    return None


def take_choices(
    connection: Connection,
    registration_id: int,
    chosen: Mapping[int, int],
    *,
    seated: bool,
    override_capacity: bool = False,
    now: datetime | None = None,
) -> dict[int, ChoiceState]:
    """The new registration's choices: a seat in each chosen session that has one (only for
    a seated registration), else a place in its line. Returns group id → state."""
    if not chosen:
        return {}
    now = now or utcnow()
    states = {}
    for group_id, session_id in sorted(chosen.items()):
        took = seated and _take_seat(connection, session_id, override_capacity=override_capacity)
        states[group_id] = ChoiceState.SEATED if took else ChoiceState.WAITING
    connection.execute(
        INSERT_CHOICE,
        [
            _choice_row(registration_id, group_id, chosen[group_id], state, now)
            for group_id, state in states.items()
        ],
    )
    return states


def _choice_row(
    registration_id: int,
    group_id: int,
    session_id: int,
    state: ChoiceState,
    now: datetime,
    *,
    wish: bool = False,
) -> dict:
    return {
        "registration_id": registration_id,
        "group_id": group_id,
        "session_id": session_id,
        "state": state,
        "wish": wish,
        "created_at": now,
    }


def _take_seat(connection: Connection, session_id: int, *, override_capacity: bool = False) -> bool:
    statement = _TAKE if override_capacity else TAKE_FREE_SESSION_SEAT
    after = connection.execute(statement, {"session": session_id}).first()
    if after is None:
        return False
    if after.capacity is not None and after.seats_taken == after.capacity:
        connection.execute(RAISE_CONTENT_VERSION, {"group": after.group_id})
    return True


def _free_seat(connection: Connection, session_id: int) -> None:
    after = connection.execute(FREE_SESSION_SEAT, {"session": session_id}).one()
    if after.capacity is not None and after.seats_taken == after.capacity - 1:
        connection.execute(RAISE_CONTENT_VERSION, {"group": after.group_id})


def release(connection: Connection, registration_id: int) -> list[int]:
    """A cancelled registration's choices go: seats freed, places in line and wishes
    dropped. Returns the sessions with a freed seat, to fill from their lines."""
    held = connection.execute(
        select(_choice.c.session_id, _choice.c.state).where(
            _choice.c.registration_id == registration_id
        )
    ).all()
    freed = [row.session_id for row in held if row.state == ChoiceState.SEATED]
    for session_id in freed:
        _free_seat(connection, session_id)
    if held:
        connection.execute(delete(_choice).where(_choice.c.registration_id == registration_id))
    return freed


def waiting_sessions(connection: Connection, registration_id: int) -> list[int]:
    """The sessions a registration waits for (its own places in line and its wishes)."""
    return list(
        connection.scalars(
            select(_choice.c.session_id).where(
                _choice.c.registration_id == registration_id, _choice.c.state == _WAITING
            )
        )
    )


def fill(
    connection: Connection,
    session_ids: Iterable[int],
    *,
    now: datetime | None = None,
    quiet_for: frozenset[int] = frozenset(),
) -> list[Moved]:
    """Give the free seats of these sessions to the first in their lines, in arrival order,
    and mail each person moved (except registrations in `quiet_for`, whose own mail lists
    their sessions). A wish fulfilled frees a seat elsewhere, which is filled in turn."""
    now = now or utcnow()
    pending = list(dict.fromkeys(session_ids))
    moved: list[Moved] = []
    while pending:
        session_id = pending.pop(0)
        while (first := connection.execute(FIRST_IN_LINE, {"session": session_id}).first()) and (
            _take_seat(connection, session_id)
        ):
            step = _seat_first(connection, first, session_id, now)
            moved.append(step)
            if step.from_session is not None:
                pending.append(step.from_session)
            if step.registration_id not in quiet_for:
                _mail_seated(connection, step, first.id)
    return moved


def _seat_first(connection: Connection, first, session_id: int, now: datetime) -> Moved:
    """Seat the first in line, whose seat in `session_id` is already taken."""
    if not first.wish:
        connection.execute(
            update(_choice).where(_choice.c.id == first.id).values(state=ChoiceState.SEATED)
        )
        return Moved(first.registration_id, session_id)
    held = connection.execute(
        HELD_CHOICE, {"registration": first.registration_id, "group": first.group_id}
    ).one()
    connection.execute(delete(_choice).where(_choice.c.id == first.id))
    connection.execute(
        update(_choice)
        .where(_choice.c.id == held.id)
        .values(session_id=session_id, state=ChoiceState.SEATED, created_at=now)
    )
    if held.state != ChoiceState.SEATED:
        return Moved(first.registration_id, session_id)
    _free_seat(connection, held.session_id)
    return Moved(first.registration_id, session_id, held.session_id)


def _mail_seated(connection: Connection, step: Moved, choice_id: int) -> None:
    registration = connection.execute(
        statements.REGISTRATION_BY_ID, {"registration": step.registration_id}
    ).one()
    titles = session_titles(connection, [step.session_id, step.from_session])
    context = {"session": titles.get(step.session_id, "")}
    if step.from_session is not None:
        context["from_session"] = titles.get(step.from_session, "")
    outbox.queue_for_registration(
        "session_seat",
        registration,
        dedupe_suffix=f"{step.session_id}:{choice_id}",
        context=context,
        connection=connection,
    )


def session_titles(connection: Connection, session_ids: Iterable[int | None]) -> dict[int, str]:
    """Session id → "Group: session" as an attendee reads it in a mail."""
    ids = [i for i in session_ids if i is not None]
    rows = connection.execute(
        select(_session.id, _session.title, _group.title.label("group_title"))
        .join(SessionGroup.__table__, _group.id == _session.group_id)
        .where(_session.id.in_(ids))
    ).all()
    return {row.id: f"{row.group_title}: {row.title}" for row in rows}


# What the attendee does from their own page, in the ORM session's transaction.


def _locked(registration: Registration) -> Connection:
    """The seminar locked and the registration's status current: then counts are too."""
    seats.lock_seminar(registration.seminar_id)
    db.session.refresh(registration, ["status"])
    return db.session.connection()


def _session_of(registration: Registration, group_id: int, session_id: int) -> SeminarSession:
    session = db.session.get(SeminarSession, session_id, populate_existing=True)
    if session is None or session.group_id != group_id:
        raise UnknownSession(session_id)
    if session.group.seminar_id != registration.seminar_id:
        raise UnknownSession(session_id)
    return session


def _held(connection: Connection, registration_id: int, group_id: int):
    return connection.execute(
        HELD_CHOICE, {"registration": registration_id, "group": group_id}
    ).first()


def _drop_wish(connection: Connection, registration_id: int, group_id: int) -> None:
    connection.execute(
        delete(_choice).where(
            _choice.c.registration_id == registration_id,
            _choice.c.group_id == group_id,
            _choice.c.wish.is_(True),
        )
    )


def change_choice(
    registration: Registration, group_id: int, session_id: int, *, now: datetime | None = None
) -> ChoiceState:
    """Move to another session of the group: to a free seat, or (for someone without a
    seat) to the back of its line. Holding a seat, a full session raises SessionFull: the
    person may wish for it instead (`wish_for`). The seat left is filled from its line."""
    now = now or utcnow()
    connection = _locked(registration)
    session = _session_of(registration, group_id, session_id)
    if registration.status == Status.CANCELLED:
        raise UnknownSession(session_id)
    held = _held(connection, registration.id, group_id)
    if held is not None and held.session_id == session_id:
        return ChoiceState(held.state)
    confirmed = registration.status == Status.CONFIRMED
    if confirmed and _take_seat(connection, session_id):
        state = ChoiceState.SEATED
    elif (held is None or held.state == ChoiceState.WAITING) and (
        session.waitlist_enabled or not confirmed
    ):
        state = ChoiceState.WAITING
    else:
        raise SessionFull(session_id)
    _drop_wish(connection, registration.id, group_id)
    if held is not None:
        connection.execute(delete(_choice).where(_choice.c.id == held.id))
    connection.execute(
        INSERT_CHOICE, _choice_row(registration.id, group_id, session_id, state, now)
    )
    if held is not None and held.state == ChoiceState.SEATED:
        _free_seat(connection, held.session_id)
        fill(connection, [held.session_id], now=now)
    _changed(connection, registration, now)
    return state


def _changed(connection: Connection, registration: Registration, now: datetime | None) -> None:
    """The organisation's systems hear of a changed session choice (registration.changed)."""
    webhooks.registration_event(
        "registration.changed",
        registration.id,
        registration.seminar_id,
        connection=connection,
        now=now,
    )


def wish_for(
    registration: Registration, group_id: int, session_id: int, *, now: datetime | None = None
) -> None:
    """Wait for a full session while keeping the seat held in another of the group; moved
    by itself (and told) when a seat frees. Raises SessionFull when the session has no
    waiting list; a session with room is simply changed to."""
    connection = _locked(registration)
    session = _session_of(registration, group_id, session_id)
    held = _held(connection, registration.id, group_id)
    if held is None or held.state != ChoiceState.SEATED or held.session_id == session_id:
        raise UnknownSession(session_id)
    if not session.is_full:
        change_choice(registration, group_id, session_id, now=now)
        return
    if not session.waitlist_enabled:
        raise SessionFull(session_id)
    _drop_wish(connection, registration.id, group_id)
    row = _choice_row(
        registration.id, group_id, session_id, ChoiceState.WAITING, now or utcnow(), wish=True
    )
    connection.execute(INSERT_CHOICE, row)


def drop_wish(registration: Registration, group_id: int) -> None:
    """Stop waiting for another session; the seat held stays."""
    connection = _locked(registration)
    _drop_wish(connection, registration.id, group_id)


def leave_group(registration: Registration, group_id: int, *, now: datetime | None = None) -> None:
    """Choose no session in an optional group: the seat held is freed for the next in line."""
    connection = _locked(registration)
    held = _held(connection, registration.id, group_id)
    connection.execute(
        delete(_choice).where(
            _choice.c.registration_id == registration.id, _choice.c.group_id == group_id
        )
    )
    if held is not None and held.state == ChoiceState.SEATED:
        _free_seat(connection, held.session_id)
        fill(connection, [held.session_id], now=now)
    if held is not None:
        _changed(connection, registration, now)


def choices_of(registration_id: int) -> list[SessionChoice]:
    """A registration's choices, held ones before wishes, in the groups' order."""
    return list(
        db.session.scalars(
            select(SessionChoice)
            .join(SessionGroup, SessionGroup.id == SessionChoice.group_id)
            .where(SessionChoice.registration_id == registration_id)
            .order_by(SessionGroup.position, SessionGroup.id, SessionChoice.wish)
        )
    )


def groups_of(seminar_id: int) -> list[SessionGroup]:
    """The seminar's session groups in order, sessions loaded."""
    return list(
        db.session.scalars(
            select(SessionGroup)
            .where(SessionGroup.seminar_id == seminar_id)
            .order_by(SessionGroup.position, SessionGroup.id)
        )
    )


def page_changed(connection: Connection, seminar_id: int) -> None:
    """The seminar's sessions changed: its public page (and signup form) is rendered anew."""
    connection.execute(
        update(Seminar.__table__)
        .where(Seminar.__table__.c.id == seminar_id)
        .values(content_version=Seminar.__table__.c.content_version + 1)
    )
    seminar = db.session.identity_map.get(db.session.identity_key(Seminar, seminar_id))
    if seminar is not None:
        db.session.expire(seminar, ["content_version"])
