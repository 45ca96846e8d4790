"""The audit log: who did what to which seminar, and when (shown per seminar and organisation)."""

from __future__ import annotations

from .extensions import db
from .models import AuditEvent, Organizer, Seminar


def record(
    organizer: Organizer | None,
    action: str,
    *,
    seminar: Seminar | None = None,
    organization_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    """Add one event to the current transaction; `action` is a short verb like "published"."""
    event = AuditEvent(
        organizer_id=organizer.id if organizer else None,
        seminar_id=seminar.id if seminar else None,
        organization_id=organization_id or (seminar.organization_id if seminar else None),
        action=action,
        detail=detail[:2000],
    )
    db.session.add(event)
    return event
