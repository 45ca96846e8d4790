"""Records kept as evidence: the audit log and the runs of the retention purge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.organisations import Organizer
from seminars.models.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL")
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    seminar_id: Mapped[int | None] = mapped_column(
        ForeignKey("seminar.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    organizer: Mapped[Organizer | None] = relationship()


class PurgeRun(db.Model):
    """One run of the data-retention purge, kept as evidence (DESIGN guarantee 8)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registrations_anonymised: Mapped[int] = mapped_column(default=0)
    seminars: Mapped[int] = mapped_column(default=0)
