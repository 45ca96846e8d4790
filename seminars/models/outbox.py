"""The email outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from seminars.extensions import db
from seminars.models.types import UTCDateTime, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    # Not sent on its own: its content went with the seat email (mail/folding.py).
    FOLDED = "folded"


class OutboxMessage(db.Model):
    """An email waiting to be delivered, written in the transaction that caused it.

    The message is rendered when the worker sends it, from `kind` and `context`, so no
    manage-link token ever sits in this table.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="sv")
    seminar_id: Mapped[int | None] = mapped_column(
        ForeignKey("seminar.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[OutboxStatus] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While a worker sends the row: when it last renewed its lease, and which worker it is.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    # The mail server refused the address for good, or a bounce said so.
    undeliverable: Mapped[bool] = mapped_column(default=False, server_default=false())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
