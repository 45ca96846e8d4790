"""The email outbox: rows written in the same transaction as the change that causes them.

Each row has a unique dedupe key, so queueing the same email twice is a no-op (DESIGN
guarantee 3). Delivery over SMTP lives in `delivery.py`.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import OutboxMessage, OutboxStatus, Registration, utcnow


def _insert_ignoring_duplicates():
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])


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
) -> bool:
    """Queue one email; returns False when an email with this dedupe key already exists."""
    now = utcnow()
    result = db.session.execute(
        _insert_ignoring_duplicates().values(
            dedupe_key=dedupe_key,
            kind=kind,
            to_email=to_email,
            to_name=to_name,
            language=language,
            seminar_id=seminar_id,
            registration_id=registration_id,
            context=context or {},
            subject="",
            status=status,
            attempts=0,
            last_error="",
            next_attempt_at=now,
            created_at=now,
        )
    )
    return result.rowcount == 1


def queue_for_registration(
    kind: str,
    registration: Registration,
    *,
    dedupe_suffix: str = "",
    context: dict | None = None,
    status: OutboxStatus = OutboxStatus.PENDING,
) -> bool:
    """Queue an email about one registration, to its attendee, in their language."""
    key = f"{kind}:{registration.id}" + (f":{dedupe_suffix}" if dedupe_suffix else "")
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
    )


def forget_recipient(registration: Registration) -> None:
    """Drop unsent mail to an anonymised attendee and blank the address on the sent ones."""
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
