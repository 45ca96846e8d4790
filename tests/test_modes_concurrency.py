"""DESIGN guarantees 1 and 4 per mode, across OS processes on SQLite and PostgreSQL: a
hybrid seminar's room is never over capacity, its waiting list moves in arrival order, and
signups, switches and cancellations racing each other keep it so."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    Organization,
    OutboxMessage,
    Registration,
    Seminar,
    SeminarMode,
    SeminarStatus,
    Status,
)
from tests import test_concurrency as base
from tests.conftest import attendee, make_app, register

PROCESSES = 6
SIGNUPS_PER_PROCESS = 10
ON_SITE_SEATS = 10

shared_database_url = base.shared_database_url
parent_app = base.parent_app


def _sign_up_on_site(database_url, seminar_id, emails, barrier, results) -> None:
    app = make_app(database_url)
    outcome = []
    try:
        with app.app_context():
            db.session.execute(select(1))  # connect before the starting shot
            db.session.rollback()
            barrier.wait(timeout=60)
            for email in emails:
                started = time.monotonic()
                registration = register(seminar_id, attendee(email, name=email), mode="onsite")
                db.session.commit()
                outcome.append((registration.id, started, time.monotonic()))
                db.session.remove()
        results.put(("ok", outcome))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


def _switch_or_cancel(database_url, actions, barrier, results) -> None:
    app = make_app(database_url)
    try:
        with app.app_context():
            db.session.execute(select(1))
            db.session.rollback()
            barrier.wait(timeout=60)
            for action, registration_id in actions:
                registration = db.session.get(Registration, registration_id)
                if action == "switch":
                    assert signup.switch_mode(registration, "online") == signup.Switch.SWITCHED
                else:
                    signup.cancel(registration)
                db.session.commit()
                db.session.remove()
        results.put(("ok", []))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


def _registrations(seminar_id: int) -> list[Registration]:
    return db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar_id).order_by(Registration.id)
    ).all()


def _ids(registrations, status: Status, mode: str) -> list[int]:
    return [r.id for r in registrations if r.status == status and r.mode == mode]


def test_hybrid_room_never_overbooks_while_people_sign_up_switch_and_cancel_at_once(
    parent_app, shared_database_url
):
    starts_at = datetime.now(UTC) + timedelta(days=7)
    seminar = Seminar(
        slug="hybrid-rusning",
        title="Hybrid rusning",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        mode=SeminarMode.HYBRID,
        capacity=ON_SITE_SEATS,
        online_capacity=None,
        status=SeminarStatus.PUBLISHED,
        organization=Organization(slug="ofr", name="OFR"),
    )
    db.session.add(seminar)
    db.session.commit()
    seminar_id = seminar.id
    db.session.remove()
    db.engine.dispose()  # no pooled connection may cross the fork

    emails = [
        [f"p{process}-{n}@example.org" for n in range(SIGNUPS_PER_PROCESS)]
        for process in range(PROCESSES)
    ]
    began = time.monotonic()
    outcomes = base.run_at_once(
        _sign_up_on_site, [(seminar_id, batch) for batch in emails], shared_database_url
    )
    signup_seconds = time.monotonic() - began
    signed_up = [row for outcome in outcomes for row in outcome]

    registrations = _registrations(seminar_id)
    seated = _ids(registrations, Status.CONFIRMED, "onsite")
    waiting = _ids(registrations, Status.WAITING, "onsite")
    total = PROCESSES * SIGNUPS_PER_PROCESS
    assert len(signed_up) == total
    assert (len(seated), len(waiting)) == (ON_SITE_SEATS, total - ON_SITE_SEATS)
    assert max(seated) < min(waiting)
    for earlier_id, _, earlier_done in signed_up:
        for later_id, later_started, _ in signed_up:
            if earlier_done < later_started:
                assert earlier_id < later_id
    stored = db.session.get(Seminar, seminar_id)
    assert (stored.seats_taken, stored.online_seats_taken) == (ON_SITE_SEATS, 0)

    # At once: ten switch to online (five seated, five from the middle of the line) while
    # ten cancel (five seated, the last five in line).
    switching = seated[:5] + waiting[2:12:2]
    cancelling = seated[5:] + waiting[-5:]
    actions = [("switch", i) for i in switching] + [("cancel", i) for i in cancelling]
    actions = actions[::2] + actions[1::2]  # switches and cancellations interleaved
    db.session.remove()
    db.engine.dispose()
    began = time.monotonic()
    base.run_at_once(
        _switch_or_cancel,
        [(actions[i::PROCESSES],) for i in range(PROCESSES)],
        shared_database_url,
    )
    race_seconds = time.monotonic() - began

    registrations = _registrations(seminar_id)
    in_line = [i for i in waiting if i not in switching and i not in cancelling]
    on_site_now = _ids(registrations, Status.CONFIRMED, "onsite")
    # Exactly the room's seats, taken by the first ten left in line, in arrival order.
    assert on_site_now == in_line[:ON_SITE_SEATS]
    assert _ids(registrations, Status.WAITING, "onsite") == in_line[ON_SITE_SEATS:]
    assert _ids(registrations, Status.CONFIRMED, "online") == sorted(switching)
    assert sorted(_ids(registrations, Status.CANCELLED, "onsite")) == sorted(cancelling)
    stored = db.session.get(Seminar, seminar_id)
    assert (stored.seats_taken, stored.online_seats_taken) == (ON_SITE_SEATS, len(switching))
    promoted_mail = set(
        db.session.scalars(
            select(OutboxMessage.registration_id).where(OutboxMessage.kind == "promoted")
        )
    )
    assert promoted_mail == set(in_line[:ON_SITE_SEATS]) | set(waiting[2:12:2])
    # Whoever held a seat on site when their switch ran is told of the change: the five
    # seated, and any of the five in line whom a cancellation seated first.
    switched_mail = db.session.scalars(
        select(OutboxMessage.registration_id).where(OutboxMessage.kind == "mode_changed")
    ).all()
    assert set(seated[:5]) <= set(switched_mail) <= set(switching)
    assert len(switched_mail) == len(set(switched_mail))

    print(
        f"\n[{db.engine.dialect.name}] hybrid: {total} on-site signups from {PROCESSES} "
        f"processes in {signup_seconds:.2f}s: {len(seated)} on site, {len(waiting)} waiting; "
        f"{len(switching)} switches to online and {len(cancelling)} cancellations at once in "
        f"{race_seconds:.2f}s: {len(on_site_now)} on site, promoted in order"
    )
