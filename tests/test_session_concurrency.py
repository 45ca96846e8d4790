"""Guarantees 1 and 4 per session, across OS processes on SQLite and PostgreSQL: a session
is never over its capacity, its line moves in arrival order, and nobody holds two seats in
one group, while signups, session changes and cancellations race each other."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    ChoiceState,
    Organization,
    OutboxMessage,
    Registration,
    Seminar,
    SeminarSession,
    SeminarStatus,
    SessionChoice,
    SessionGroup,
)
from seminars.signup import sessions as session_seats
from tests import test_concurrency as races
from tests.conftest import attendee, make_app

PROCESSES = races.PROCESSES
run_at_once = races.run_at_once
# The same databases, one per backend, as the seminar-wide races.
shared_database_url = races.shared_database_url
parent_app = races.parent_app

SESSION_CAPACITY = 5
SIGNUPS = 30


def _sign_up(database_url, seminar_id, group_id, session_id, emails, barrier, results) -> None:
    app = make_app(database_url)
    done = []
    try:
        with app.app_context():
            db.session.execute(select(1))
            db.session.rollback()
            barrier.wait(timeout=60)
            for email in emails:
                started = time.monotonic()
                outcome = signup.sign_up(
                    seminar_id, attendee(email, name=email), sessions={group_id: session_id}
                )
                db.session.commit()
                done.append((outcome.registration_id, started, time.monotonic()))
                db.session.remove()
        results.put(("ok", done))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


def _act(database_url, group_id, target_id, actions, barrier, results) -> None:
    """Cancel, or move to the target session (waiting for it while holding a seat)."""
    app = make_app(database_url)
    try:
        with app.app_context():
            db.session.execute(select(1))
            db.session.rollback()
            barrier.wait(timeout=60)
            for kind, registration_id in actions:
                registration = db.session.get(Registration, registration_id)
                if kind == "cancel":
                    signup.cancel(registration)
                else:
                    try:
                        session_seats.change_choice(registration, group_id, target_id)
                    except session_seats.SessionFull:
                        db.session.rollback()
                        session_seats.wish_for(registration, group_id, target_id)
                db.session.commit()
                db.session.remove()
        results.put(("ok", []))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


def _line(session_id: int, state: ChoiceState) -> list[int]:
    return list(
        db.session.scalars(
            select(SessionChoice.registration_id)
            .where(
                SessionChoice.session_id == session_id,
                SessionChoice.state == state,
                SessionChoice.wish.is_(False),
            )
            .order_by(SessionChoice.id)
        )
    )


def _seats_taken(session_id: int) -> int:
    return db.session.get(SeminarSession, session_id, populate_existing=True).seats_taken


def test_a_session_group_under_racing_signups_changes_and_cancellations(
    parent_app, shared_database_url
):
    starts_at = datetime.now(UTC) + timedelta(days=7)
    seminar = Seminar(
        slug="workshops",
        title="Workshops",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=100,
        status=SeminarStatus.PUBLISHED,
        organization=Organization(slug="ofr", name="OFR"),
    )
    group = SessionGroup(
        seminar=seminar,
        title="Workshop 14.00",
        sessions=[
            SeminarSession(title="A", capacity=SESSION_CAPACITY, position=0),
            SeminarSession(title="B", capacity=SESSION_CAPACITY, position=1),
        ],
    )
    db.session.add_all([seminar, group])
    db.session.commit()
    ids = (seminar.id, group.id, group.sessions[0].id, group.sessions[1].id)
    seminar_id, group_id, session_a, session_b = ids
    db.session.remove()
    db.engine.dispose()

    # 30 people at once, all asking for A.
    per_process = SIGNUPS // PROCESSES
    batches = [[f"p{p}-{n}@example.org" for n in range(per_process)] for p in range(PROCESSES)]
    began = time.monotonic()
    done = run_at_once(
        _sign_up,
        [(seminar_id, group_id, session_a, batch) for batch in batches],
        shared_database_url,
    )
    signup_seconds = time.monotonic() - began
    signed = [row for rows in done for row in rows]
    seated_a, waiting_a = (
        _line(session_a, ChoiceState.SEATED),
        _line(session_a, ChoiceState.WAITING),
    )
    assert len(signed) == SIGNUPS
    assert (len(seated_a), len(waiting_a)) == (SESSION_CAPACITY, SIGNUPS - SESSION_CAPACITY)
    assert _seats_taken(session_a) == SESSION_CAPACITY
    assert max(seated_a) < min(waiting_a)
    # Arrival order: who finished before another started is ahead of them in line.
    for earlier_id, _, earlier_done in signed:
        for later_id, later_started, _ in signed:
            if earlier_done < later_started:
                assert earlier_id < later_id

    # At once: 3 seated in A cancel, 2 seated in A move to B (or wait for it), and the
    # last 5 in A's line move to B: 7 people for B's 5 seats.
    cancelling = seated_a[:3]
    movers = seated_a[3:] + waiting_a[-5:]
    actions = [("cancel", i) for i in cancelling] + [("move", i) for i in movers]
    db.session.remove()
    db.engine.dispose()
    began = time.monotonic()
    run_at_once(
        _act,
        [(group_id, session_b, actions[i::PROCESSES]) for i in range(PROCESSES)],
        shared_database_url,
    )
    race_seconds = time.monotonic() - began

    seated_b = _line(session_b, ChoiceState.SEATED)
    after_a = _line(session_a, ChoiceState.SEATED)
    assert (len(after_a), _seats_taken(session_a)) == (SESSION_CAPACITY, SESSION_CAPACITY)
    assert (len(seated_b), _seats_taken(session_b)) == (SESSION_CAPACITY, SESSION_CAPACITY)
    assert set(seated_b) <= set(movers)
    # Those left in A, then the first in A's line, in arrival order (the movers had left it).
    kept = [i for i in seated_a if i not in cancelling and i not in seated_b]
    line = [i for i in waiting_a if i not in movers]
    promoted = sorted(set(after_a) - set(kept))
    assert promoted == line[: SESSION_CAPACITY - len(kept)]
    assert _line(session_a, ChoiceState.WAITING) == line[SESSION_CAPACITY - len(kept) :]
    seat_mails = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "session_seat")
    )
    assert seat_mails == len(promoted)
    # Nobody holds two seats in one group.
    held = db.session.execute(
        select(SessionChoice.registration_id, func.count())
        .where(SessionChoice.state == ChoiceState.SEATED)
        .group_by(SessionChoice.registration_id)
        .having(func.count() > 1)
    ).all()
    assert held == []

    print(
        f"\n[{db.engine.dialect.name}] {SIGNUPS} signups for session A from {PROCESSES} "
        f"processes in {signup_seconds:.2f}s: {len(seated_a)} seated, {len(waiting_a)} waiting; "
        f"{len(actions)} cancellations and changes in {race_seconds:.2f}s: A {len(after_a)}, "
        f"B {len(seated_b)}, {len(promoted)} promoted in order"
    )
