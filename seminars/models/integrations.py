"""The organisation's integrations: API tokens, webhook endpoints and the webhook outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.organisations import Organization, Organizer
from seminars.models.types import UTCDateTime, utcnow


class ApiToken(db.Model):
    """A token an organisation's own systems use for the JSON API. Shown once; only the
    SHA-256 of it is kept, and its first characters (`prefix`) to tell tokens apart."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organization: Mapped[Organization] = relationship()
    created_by: Mapped[Organizer | None] = relationship()


class WebhookEndpoint(db.Model):
    """A URL of the organisation's own systems that is told about changes, signed per the
    Standard Webhooks spec with its secret (sealed: it is needed to sign)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The events it gets, e.g. ["registration.created", "seminar.changed"].
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    sealed_secret: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(default=True)
    # Since when every delivery failed; cleared by a success. Three days of it disable it.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    organization: Mapped[Organization] = relationship()


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # not tried yet, or waiting to be tried again
    SENDING = "sending"  # claimed by a worker
    DELIVERED = "delivered"


class WebhookDelivery(db.Model):
    """One event for one endpoint, written in the transaction of the change (the webhook
    outbox). `message_id` is the `webhook-id` header: the same on every retry. Deliveries
    with the same `ordering_key` (a registration, a seminar) go out in id order."""

    __table_args__ = (
        UniqueConstraint("endpoint_id", "message_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_order", "endpoint_id", "ordering_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    ordering_key: Mapped[str] = mapped_column(String(60))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    endpoint: Mapped[WebhookEndpoint] = relationship()
