"""DESIGN guarantee 1 across OS processes: no overbooking, the waiting list in arrival order.

Several processes, each with its own app and connection pool on the same database (a SQLite
file or PostgreSQL), are released at once by a barrier and sign people up as fast as they can.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    Organization,
    OutboxMessage,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
)
from tests.conftest import attendee, make_app, register

PROCESSES = 6
SIGNUPS_PER_PROCESS = 10
CAPACITY = 10
CONFIRMED_CANCELLING = 5
WAITING_CANCELLING = 5

# Fork is quick and safe here: the parent disposes its pool before starting the children,
# and every child builds its own app, engine and connections.
CONTEXT = multiprocessing.get_context("fork")


def _sign_up(database_url, seminar_id, emails, barrier, results) -> None:
    app = make_app(database_url)
    outcome = []
    try:
        with app.app_context():
            db.session.execute(select(1))  # connect before the starting shot
            db.session.rollback()
            barrier.wait(timeout=60)
            for email in emails:
                started = time.monotonic()
                seminar = db.session.get(Seminar, seminar_id)
                registration = register(seminar, attendee(email, name=email))
                db.session.commit()
                outcome.append((email, registration.id, started, time.monotonic()))
                db.session.remove()
        results.put(("ok", outcome))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


def _cancel(database_url, registration_ids, barrier, results) -> None:
    app = make_app(database_url)
    promoted = []
    try:
        with app.app_context():
            db.session.execute(select(1))
            db.session.rollback()
            barrier.wait(timeout=60)
            for registration_id in registration_ids:
                registration = db.session.get(Registration, registration_id)
                promoted += [r.id for r in signup.cancel(registration)]
                db.session.commit()
                db.session.remove()
        results.put(("ok", promoted))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


def run_at_once(target, argument_lists, database_url) -> list:
    """Start one process per argument list, release them together, collect their results."""
    barrier = CONTEXT.Barrier(len(argument_lists))
    results = CONTEXT.Queue()
    processes = [
        CONTEXT.Process(target=target, args=(database_url, *arguments, barrier, results))
        for arguments in argument_lists
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    errors = [detail for kind, detail in collected if kind == "error"]
    assert errors == []
    assert all(process.exitcode == 0 for process in processes)
    return [detail for _, detail in collected]


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def parent_app(shared_database_url):
    app = make_app(shared_database_url)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def statuses(seminar_id: int) -> dict[Status, list[int]]:
    rows = db.session.execute(
        select(Registration.status, Registration.id)
        .where(Registration.seminar_id == seminar_id)
        .order_by(Registration.id)
    ).all()
    return {status: [id_ for s, id_ in rows if s == status] for status in Status}


def test_signups_from_many_processes_never_overbook_and_queue_in_arrival_order(
    parent_app, shared_database_url
):
    starts_at = datetime.now(UTC) + timedelta(days=7)
    seminar = Seminar(
        slug="rusning",
        title="Rusning",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=CAPACITY,
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
    outcomes = run_at_once(_sign_up, [(seminar_id, batch) for batch in emails], shared_database_url)
    signup_seconds = time.monotonic() - began
    signed_up = [row for outcome in outcomes for row in outcome]

    total = PROCESSES * SIGNUPS_PER_PROCESS
    by_status = statuses(seminar_id)
    confirmed, waiting = by_status[Status.CONFIRMED], by_status[Status.WAITING]
    assert len(signed_up) == total
    assert (len(confirmed), len(waiting)) == (CAPACITY, total - CAPACITY)
    assert db.session.get(Seminar, seminar_id).seats_taken == CAPACITY
    assert max(confirmed) < min(waiting)
    distinct_emails = db.session.scalar(select(func.count(func.distinct(Registration.email_key))))
    assert distinct_emails == total
    # Arrival order: whoever had finished signing up before another person started is
    # ahead of them (a lower id, so earlier in the waiting list).
    for _, earlier_id, _, earlier_done in signed_up:
        for _, later_id, later_started, _ in signed_up:
            if earlier_done < later_started:
                assert earlier_id < later_id
    positions = [signup.waiting_position(db.session.get(Registration, i)) for i in waiting]
    assert positions == [(place, len(waiting)) for place in range(1, len(waiting) + 1)]

    # Cancellations at once: confirmed people free seats, the last in line leave the list.
    cancelling_confirmed = confirmed[:CONFIRMED_CANCELLING]
    cancelling_waiting = waiting[-WAITING_CANCELLING:]
    cancelling = cancelling_confirmed + cancelling_waiting
    db.session.remove()
    db.engine.dispose()
    began = time.monotonic()
    promoted_lists = run_at_once(
        _cancel, [(cancelling[i::PROCESSES],) for i in range(PROCESSES)], shared_database_url
    )
    cancel_seconds = time.monotonic() - began
    promoted = sorted(i for promoted_ids in promoted_lists for i in promoted_ids)

    after = statuses(seminar_id)
    assert promoted == waiting[:CONFIRMED_CANCELLING]
    assert len(after[Status.CONFIRMED]) == CAPACITY
    assert after[Status.CONFIRMED] == sorted(set(confirmed) - set(cancelling_confirmed)) + promoted
    assert after[Status.WAITING] == waiting[CONFIRMED_CANCELLING:-WAITING_CANCELLING]
    assert sorted(after[Status.CANCELLED]) == sorted(cancelling)
    assert db.session.get(Seminar, seminar_id).seats_taken == CAPACITY
    promotion_mails = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "promoted")
    )
    assert promotion_mails == CONFIRMED_CANCELLING

    backend = db.engine.dialect.name
    print(
        f"\n[{backend}] {total} signups from {PROCESSES} processes in {signup_seconds:.2f}s: "
        f"{len(confirmed)} confirmed, {len(waiting)} waiting; "
        f"{len(cancelling)} cancellations in {cancel_seconds:.2f}s: {len(promoted)} promoted"
    )


def test_seminar_page_is_served_while_a_signup_holds_the_write_lock(app, client, seminar_factory):
    page = f"/seminars/{seminar_factory().slug}"
    db.session.remove()
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers")
    writer = sqlite3.connect(db.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a signup in another process holds
    answered: list[int] = []
    reader = threading.Thread(target=lambda: answered.append(client.get(page).status_code))
    try:
        reader.start()
        reader.join(timeout=5)
        assert answered == [200]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.join()
