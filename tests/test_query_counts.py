"""No N+1: the busiest pages send the same number of SQL statements however much data
they show (the front page with 30 seminars, a seminar with a long program, the attendee
list with 1,000 registrations)."""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert

from seminars import signup
from seminars.extensions import db
from seminars.models import ProgramItem, Registration, Speaker, Status
from tests.conftest import DIET_QUESTION, attendee, log_in


@contextmanager
def counting_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_for(client, url: str) -> int:
    client.get(url)  # first request warms caches that are not per request
    db.session.remove()
    with counting_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def add_registrations(seminar, how_many: int) -> None:
    start = seminar.seats_taken
    db.session.execute(
        insert(Registration),
        [
            {
                "seminar_id": seminar.id,
                "name": f"Deltagare {n}",
                "email": f"deltagare{n}@example.org",
                "email_key": f"deltagare{n}@example.org",
                "organization": "Vision",
                "answers": {},
                "status": Status.CONFIRMED if n < seminar.capacity else Status.WAITING,
                "token_salt": secrets.token_hex(16),
                "token_hash": secrets.token_hex(32),
            }
            for n in range(start, start + how_many)
        ],
    )
    seminar.seats_taken = min(start + how_many, seminar.capacity)
    db.session.commit()


def test_front_page_statements_do_not_grow_with_seminars(
    client, seminar_factory, organization_factory
):
    cohost = organization_factory("Malmö universitet")
    seminar_factory(cohosts=[cohost])
    few = statements_for(client, "/")
    for _ in range(29):
        seminar_factory(cohosts=[cohost])
    assert statements_for(client, "/") == few <= 6


def first_and_next_view(client, url: str) -> tuple[int, int]:
    """Statements for a view that renders the page (the first after a change) and for the
    next one, served from the page cache."""
    counts = []
    for _ in range(2):
        db.session.remove()
        with counting_statements() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    return counts[0], counts[1]


def test_seminar_page_statements_do_not_grow_with_its_program(client, seminar_factory):
    seminar = seminar_factory(questions=[DIET_QUESTION])
    url = f"/seminars/{seminar.slug}"
    rendering, cached = first_and_next_view(client, url)
    seminar = db.session.merge(seminar)
    for n in range(20):
        seminar.program_items.append(ProgramItem(position=n, title=f"Punkt {n}"))
        seminar.speakers.append(Speaker(position=n, name=f"Talare {n}"))
    db.session.commit()
    assert first_and_next_view(client, url) == (rendering, cached)
    assert rendering <= 8
    assert cached == 1  # the row that says which rendering is current


def test_attendee_list_statements_do_not_grow_with_registrations(
    app, client, seminar_factory, organizer_factory
):
    if "attendees" not in app.blueprints:
        pytest.skip("no attendee list in this build")
    seminar = seminar_factory(capacity=300, questions=[DIET_QUESTION])
    log_in(client, organizer_factory(seminar.organization))
    url = f"/organizer/seminars/{seminar.id}/attendees"
    add_registrations(seminar, 10)
    few = statements_for(client, url)
    add_registrations(seminar, 990)
    assert statements_for(client, url) == few <= 12


def test_a_signups_duplicate_check_reads_the_unique_index(seminar_factory):
    # The check runs on every signup. It must find the address through the partial unique
    # index, and a planner uses that only for a query that repeats the index's condition
    # literally: with `status != $3`, PostgreSQL's generic plan read every registration of
    # the seminar, and SQLite compiled the statement again on every signup.
    seminar = seminar_factory()
    seminar_id, version = seminar.id, seminar.content_version
    db.session.commit()
    executed = []

    def record(conn, cursor, statement, parameters, context, executemany):
        executed.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.engine.begin() as connection:
            signup.sign_up(
                seminar_id,
                attendee("anna@example.org"),
                connection=connection,
                content_version=version,
            )
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = next((s, p) for s, p in executed if "registration.email_key" in s)
    assert "registration.status != 'cancelled'" in statement
    assert "uq_registration_active_email" in plan_of(statement, parameters)


def plan_of(statement: str, parameters) -> str:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(row[-1] for row in rows)
    # The plan PostgreSQL keeps for a prepared statement whatever the values (psycopg
    # prepares a statement on its fifth run).
    from psycopg import sql

    names: list[str] = []

    def number(match: re.Match) -> str:
        names.append(match[1])
        return f"${len(names)}"

    prepared = re.sub(r"%\((\w+)\)s", number, statement)
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    connection.exec_driver_sql(f"PREPARE duplicate_check AS {prepared}")
    driver = connection.connection.driver_connection
    values = ", ".join(sql.Literal(parameters[name]).as_string(driver) for name in names)
    rows = connection.exec_driver_sql(f"EXPLAIN EXECUTE duplicate_check({values})")
    return "\n".join(row[0] for row in rows)
