"""The email outbox: rows written in the same transaction as the change that causes them.

Each row has a unique dedupe key, so queueing the same email twice is a no-op (DESIGN
guarantee 3). Delivery over SMTP lives in `delivery.py`.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    JSON,
    Connection,
    Row,
    Select,
    String,
    cast,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from seminars.extensions import db
from seminars.models import OutboxMessage, OutboxStatus, Registration, utcnow
from seminars.models.types import UTCDateTime


@cache
def _insert_statement(dialect: str):
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, built once per dialect:
    composing an INSERT of fifteen values costs more than running it, and every signup
    queues one. The table, not the class: plain SQL, without the ORM's bulk machinery.
    RETURNING, not rowcount: through the ORM session PostgreSQL reports rowcount -1."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = OutboxMessage.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)


def _row(
    kind: str,
    dedupe_key: str,
    to_email: str,
    to_name: str,
    language: str,
    *,
    seminar_id: int | None,
    registration_id: int | None,
    context: dict | None,
    status: OutboxStatus,
) -> dict:
    now = utcnow()
    return {
        "dedupe_key": dedupe_key,
        "kind": kind,
        "to_email": to_email,
        "to_name": to_name,
        "language": language,
        "seminar_id": seminar_id,
        "registration_id": registration_id,
        "context": context or {},
        "subject": "",
        "status": status,
        "attempts": 0,
        "last_error": "",
        "next_attempt_at": now,
        "created_at": now,
    }


def _insert(rows: list[dict], connection: Connection | None = None) -> int:
    """Insert rows, skipping any whose dedupe key exists; returns how many were new. In the
    ORM session's transaction (flushed first, as for any query) unless given a connection."""
    if connection is None:
        statement = _insert_statement(db.session.get_bind().dialect.name)
        return len(db.session.execute(statement, rows).all())
    return len(connection.execute(_insert_statement(connection.dialect.name), rows).all())


def queue(
    kind: str,
    *,
    dedupe_key: str,
    to_email: str,
    to_name: str = "",
    language: str = "sv",
    seminar_id: int | None = None,
    registration_id: int | None = None,
    context: dict | None = None,
    status: OutboxStatus = OutboxStatus.PENDING,
    connection: Connection | None = None,
) -> bool:
    """Queue one email; returns False when an email with this dedupe key already exists."""
    row = _row(
        kind,
        dedupe_key,
        to_email,
        to_name,
        language,
        seminar_id=seminar_id,
        registration_id=registration_id,
        context=context,
        status=status,
    )
    return _insert([row], connection) == 1


def queue_for_registrations(
    kind: str,
    registrations: Select,
    *,
    dedupe_prefix: str,
    context: dict | None = None,
    status: OutboxStatus = OutboxStatus.PENDING,
) -> int:
    """Queue one email of a kind to every registration `registrations` selects (reminders to
    a whole seminar), keyed `<dedupe_prefix><registration id>`; returns how many were new.

    One INSERT … SELECT: the attendees never travel to Python and back, which for 10,000
    reminders was most of the time spent queueing them."""
    table = OutboxMessage.__table__
    now = utcnow()
    columns = {
        "dedupe_key": literal(dedupe_prefix) + cast(Registration.id, String),
        "kind": literal(kind),
        "to_email": Registration.email,
        "to_name": Registration.name,
        "language": Registration.language,
        "seminar_id": Registration.seminar_id,
        "registration_id": Registration.id,
        "context": literal(context or {}, JSON),
        "subject": literal(""),
        "status": literal(str(status)),
        "attempts": literal(0),
        "last_error": literal(""),
        "next_attempt_at": literal(now, UTCDateTime),
        "created_at": literal(now, UTCDateTime),
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .from_select(list(columns), registrations.with_only_columns(*columns.values()))
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    return len(db.session.execute(statement).all())


def queue_for_registration(
    kind: str,
    registration: Registration | Row,
    *,
    dedupe_suffix: str = "",
    dedupe_key: str | None = None,
    context: dict | None = None,
    status: OutboxStatus = OutboxStatus.PENDING,
    connection: Connection | None = None,
) -> bool:
    """Queue an email about one registration, to its attendee, in their language; returns
    False when an email with its dedupe key already exists.

    The key is `<kind>:<registration id>[:<dedupe_suffix>]` unless `dedupe_key` gives it.
    `registration` may be a plain row with its id, seminar_id, email, name and language."""
    key = dedupe_key or f"{kind}:{registration.id}" + (f":{dedupe_suffix}" if dedupe_suffix else "")
    return queue(
        kind,
        dedupe_key=key,
        to_email=registration.email,
        to_name=registration.name,
        language=registration.language,
        seminar_id=registration.seminar_id,
        registration_id=registration.id,
        context=context,
        status=status,
        connection=connection,
    )


def forget_recipient(registration: Registration) -> None:
    """Drop unsent mail to an anonymised attendee and blank the address on the sent ones
    (and on the record that it did not work)."""
    registration.undeliverable_email = ""
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]),
        )
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id == registration.id)
        .values(to_email="", to_name="")
    )


def for_seminar(
    seminar_id: int, *, status: OutboxStatus | None = None, page: int = 1, per_page: int = 100
) -> tuple[list[OutboxMessage], int]:
    """One page of the seminar's emails, newest first, and how many there are in all."""
    conditions = [OutboxMessage.seminar_id == seminar_id]
    if status is not None:
        conditions.append(OutboxMessage.status == status)
    total = db.session.scalar(select(func.count(OutboxMessage.id)).where(*conditions))
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(*conditions)
        .order_by(OutboxMessage.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(messages), total or 0


def retry_now(message: OutboxMessage) -> bool:
    """Put a failed email back in line for the next worker pass; attempts so far are kept.

    Returns False when the email is not (or no longer) failed.
    """
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, next_attempt_at=utcnow(), claimed_at=None),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.refresh(message)
    return changed == 1
