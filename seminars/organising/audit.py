"""The audit log: who did what to which seminar, and when (shown per seminar and organisation)."""

from __future__ import annotations

import json

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from seminars.extensions import db
from seminars.models import AuditEvent, Organizer, Seminar, seminar_cohosts


def record(
    organizer: Organizer | None,
    action: str,
    *,
    seminar: Seminar | None = None,
    organization_id: int | None = None,
    detail: str | dict = "",
) -> AuditEvent:
    """Add one event to the current transaction; `action` is a short verb like "published".

    `detail` is best a dict of plain values (JSON), which the audit log turns into words in
    the reader's language: {"export": "badges", "status": "confirmed", "per_page": 8}. Ids
    and counts, never names or addresses of attendees: the log outlives their data.
    """
    if isinstance(detail, dict):
        detail = json.dumps(detail, sort_keys=True, ensure_ascii=False)
    event = AuditEvent(
        organizer_id=organizer.id if organizer else None,
        seminar_id=seminar.id if seminar else None,
        organization_id=organization_id or (seminar.organization_id if seminar else None),
        action=action,
        detail=detail[:2000],
    )
    db.session.add(event)
    return event


def for_seminar(seminar: Seminar, *, limit: int = 500) -> list[AuditEvent]:
    """The seminar's events, newest first, with who did them (one query)."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.organizer))
            .where(AuditEvent.seminar_id == seminar.id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def for_organization(organization_id: int, *, limit: int = 500) -> list[tuple[AuditEvent, str]]:
    """(event, seminar title) for an organisation, including seminars it co-hosts, newest first."""
    cohosted = select(seminar_cohosts.c.seminar_id).where(
        seminar_cohosts.c.organization_id == organization_id
    )
    rows = db.session.execute(
        select(AuditEvent, Seminar.title)
        .options(joinedload(AuditEvent.organizer))
        .outerjoin(Seminar, Seminar.id == AuditEvent.seminar_id)
        .where(
            or_(
                AuditEvent.organization_id == organization_id,
                AuditEvent.seminar_id.in_(cohosted),
            )
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [(event, title or "") for event, title in rows]
