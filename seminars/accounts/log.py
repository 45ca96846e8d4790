"""The security log of an account: what happened to it, who did it, when."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from seminars.extensions import db
from seminars.models import AccountEvent, Organizer


def record(
    organizer: Organizer, action: str, *, actor: Organizer | None = None, detail: str = ""
) -> AccountEvent:
    """Add one event to the current transaction; `actor` is who did it when not the person
    themselves (an administrator)."""
    event = AccountEvent(
        organizer_id=organizer.id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        detail=detail[:500],
    )
    db.session.add(event)
    return event


def recent(organizer: Organizer, *, limit: int = 20) -> list[AccountEvent]:
    return list(
        db.session.scalars(
            select(AccountEvent)
            .options(joinedload(AccountEvent.actor))
            .where(AccountEvent.organizer_id == organizer.id)
            .order_by(AccountEvent.created_at.desc(), AccountEvent.id.desc())
            .limit(limit)
        )
    )
